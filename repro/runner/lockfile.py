"""Reading and writing the project's repro.lock. Beside it, in
``.repro/tmp/lock.valid``, repro keeps the digest of the last version known
valid (written by repro or fully validated) with its content as JSON, so
that the no-op fast path trusts it without loading the schema or YAML."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from repro.atomic import write_atomic
from repro.hashing import get_algorithm
from repro.project import Project
from repro.safeyaml import read_limited

if TYPE_CHECKING:
    from repro.lineage.lock import LockFile

LOCK_FILE = "repro.lock"

__all__ = ["known_valid", "load_lock", "save_lock"]


def _stamp_path(project: Project) -> str:
    return os.path.join(project.repro_dir, "tmp", "lock.valid")


def _digest(data: bytes) -> str:
    return str(get_algorithm("xxh3-128").hexdigest(data))


def _stamp(project: Project, data: bytes, lock: LockFile) -> None:
    if lock.conflicts:
        # A lock left conflicted by a merge is never trusted by the no-op
        # fast path: `repro run` must take the slow path and rewrite it.
        return
    doc = lock.model_dump(mode="json", by_alias=True)
    stamp = {"digest": _digest(data), "lock": doc}
    write_atomic(_stamp_path(project), json.dumps(stamp, sort_keys=True).encode())


def known_valid(project: Project, data: bytes) -> dict[str, Any] | None:
    """The lock's content, if ``data`` is the version last known valid."""
    try:
        with open(_stamp_path(project), encoding="utf-8") as file:
            stamp = json.load(file)
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("digest") != _digest(data):
        return None
    lock = stamp.get("lock")
    return lock if isinstance(lock, dict) else None


def load_lock(project: Project) -> LockFile | None:
    from repro.lineage.lock import parse_lock

    path = os.path.join(project.root, LOCK_FILE)
    try:
        data = read_limited(path)
    except FileNotFoundError:
        return None
    lock = parse_lock(data.decode("utf-8", errors="replace"), path)
    if known_valid(project, data) is None:
        _stamp(project, data, lock)
    return lock


def save_lock(project: Project, lock: LockFile) -> None:
    from repro.lineage.lock import dump_lock

    data = dump_lock(lock).encode("utf-8")
    write_atomic(os.path.join(project.root, LOCK_FILE), data)
    _stamp(project, data, lock)
