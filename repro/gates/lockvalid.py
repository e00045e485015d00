"""``repro check lock`` (the ``repro-lock-valid`` hook): repro.lock parses,
matches its schema, and every id in it is well formed: object ids of the
project's hash algorithm, run ids, Git commits, images pinned by digest.

A lock repro wrote (or fully validated) is known by its digest
(``repro.runner.lockfile.known_valid``), so only its ids are looked at; any
other is parsed against the schema first."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from repro.gates.result import Finding, GateResult
from repro.gates.scope import shown
from repro.project import Project
from repro.runner.fastpath import PACKAGE
from repro.runner.lockfile import LOCK_FILE, known_valid
from repro.safeyaml import read_limited

__all__ = ["LOCK", "bad_ids", "check_lock"]

LOCK = "lock"
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 repositories
_RUN_ID = re.compile(r"[0-9abcdefghjkmnpqrstvwxyz]{14}")


def check_lock(project: Project, *, cwd: str | None = None) -> GateResult:
    where = shown(os.path.join(project.root, LOCK_FILE), cwd or os.getcwd())
    try:
        data = read_limited(os.path.join(project.root, LOCK_FILE))
    except FileNotFoundError:
        return GateResult(LOCK, notes=(f"{where}: no lock yet, nothing to check",))
    doc = known_valid(project, data)
    if doc is None:
        parsed = _parse(data, where)
        if isinstance(parsed, Finding):
            return GateResult(LOCK, (parsed,))
        doc = parsed
    fix = f"correct it, or take the committed one back: `git checkout HEAD -- {where}`"
    findings = [
        Finding(LOCK, where, f"{location}: {value!r} is not {kind}", fix)
        for location, value, kind in bad_ids(doc, project.config.core.hash)
    ]
    return GateResult(LOCK, tuple(findings))


def _parse(data: bytes, where: str) -> dict[str, Any] | Finding:
    from repro.lineage.lock import LockInvalidError, LockNewerSchemaError, parse_lock

    try:
        lock = parse_lock(data.decode("utf-8", errors="replace"), where)
    except LockNewerSchemaError as exc:
        problem = f"written by a newer repro (schema {exc.schema})"
        return Finding(LOCK, where, problem, "upgrade repro: `pip install -U repro-gitops`")
    except LockInvalidError as exc:
        at = f"{where}:{exc.line}" if exc.line else where
        fix = f"correct it, or take the committed one back: `git checkout HEAD -- {where}`"
        return Finding(LOCK, at, exc.reason, fix)
    return lock.model_dump(mode="json", by_alias=True)


def bad_ids(doc: Mapping[str, Any], algorithm: str) -> Iterator[tuple[str, object, str]]:
    """(location, value, what it should be) of every malformed id in a lock
    that matches the schema (as a JSON document)."""
    from repro.hashing import get_algorithm

    is_oid = get_algorithm(algorithm).is_valid_oid
    oid = f"a {algorithm} object id"
    for location, value, kind in _ids(doc):
        if kind == "oid" and not (isinstance(value, str) and is_oid(value)):
            yield location, value, oid
        elif kind == "run" and not _matches(_RUN_ID, value):
            yield location, value, "a run id (14 characters of Crockford base32)"
        elif kind == "commit" and value is not None and not _matches(_COMMIT, value):
            yield location, value, "a Git commit id (40 or 64 lowercase hex digits)"
        elif kind == "image" and value is not None and not _pinned(value):
            yield location, value, "an image pinned by digest (NAME@sha256:…)"


def _matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _pinned(value: object) -> bool:
    from repro.images.reference import InvalidImageRefError, parse_image_ref

    if not isinstance(value, str):
        return False
    try:
        return parse_image_ref(value).pinned
    except InvalidImageRefError:
        return False


def _ids(doc: Mapping[str, Any]) -> Iterator[tuple[str, object, str]]:
    for name, conflict in sorted(_mapping(doc.get("conflicts")).items()):
        for side in ("ours", "theirs"):  # None: the pipeline was deleted on that side
            if _mapping(conflict).get(side) is not None:
                yield f"conflicts.{name}.{side}", conflict[side], "run"
    for name, entry in sorted(_mapping(doc.get("pipelines")).items()):
        at = f"pipelines.{name}"
        yield f"{at}.run", entry.get("run"), "run"
        yield f"{at}.record", entry.get("record"), "oid"
        yield f"{at}.commit", entry.get("commit"), "commit"
        env = _mapping(entry.get("environment"))
        yield f"{at}.environment.oid", env.get("oid"), "oid"
        if env.get("lockfile_oid") is not None:
            yield f"{at}.environment.lockfile_oid", env["lockfile_oid"], "oid"
        yield from _each(f"{at}.code_files", entry.get("code_files"), "oid")
        yield from _present(f"{at}.imports", entry.get("imports"))
        for uri, snapshot in sorted(_mapping(entry.get("inputs")).items()):
            yield f"{at}.inputs.{uri}.oid", _mapping(snapshot).get("oid"), "oid"
        for step, locked in sorted(_mapping(entry.get("steps")).items()):
            yield from _step_ids(f"{at}.steps.{step}", _mapping(locked))
        for index, model in enumerate(entry.get("models") or []):
            yield f"{at}.models.{index}.version", _mapping(model).get("version"), "oid"


def _step_ids(at: str, step: Mapping[str, Any]) -> Iterator[tuple[str, object, str]]:
    yield f"{at}.cache_key", step.get("cache_key"), "oid"
    prints = _mapping(step.get("fingerprints"))
    yield f"{at}.fingerprints.code", prints.get("code"), "oid"
    yield f"{at}.fingerprints.environment", prints.get("environment"), "oid"
    yield from _each(f"{at}.fingerprints.inputs", prints.get("inputs"), "oid")
    yield from _present(f"{at}.fingerprints.imports", prints.get("imports"))
    yield from _present(f"{at}.fingerprints.discovered", prints.get("discovered"))
    yield from _each(f"{at}.outputs", step.get("outputs"), "oid")
    yield f"{at}.image", step.get("image"), "image"


def _each(at: str, values: object, kind: str) -> Iterator[tuple[str, object, str]]:
    for key, value in sorted(_mapping(values).items()):
        yield f"{at}.{key}", value, kind


def _present(at: str, values: object) -> Iterator[tuple[str, object, str]]:
    """Import-time and discovered reads: an id, or None for a file that was
    absent; a package's version is no id."""
    for key, value in sorted(_mapping(values).items()):
        if value is not None and not key.startswith(PACKAGE):
            yield f"{at}.{key}", value, "oid"


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
