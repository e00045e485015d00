"""post-checkout and post-merge: the data snapshots the lock pins, put in
place from the local cache (as ``dvc checkout`` does; nothing is fetched, so
a branch switch stays offline and fast). A file is replaced only when its
current content is in the store, so nothing is lost; one that differs and
is not stored is kept and reported."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from repro.lineage.lock import LockFile
from repro.lineage.records import InputSnapshot
from repro.project import Project
from repro.snapshot import StatCache
from repro.store import ObjectStore

if TYPE_CHECKING:
    from repro.snapshot import SnapshotResult

__all__ = ["DataCheckout", "checkout_pinned_data"]


@dataclass
class DataCheckout:
    restored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # differ, content not stored: left alone
    missing: list[str] = field(default_factory=list)  # not in the local cache
    clashing: list[str] = field(default_factory=list)  # pinned differently by two pipelines


def checkout_pinned_data(project: Project, lock: LockFile) -> DataCheckout:
    result = DataCheckout()
    pinned, result.clashing = _pinned(lock)
    store, stat_cache = project.store(), project.stat_cache()
    for uri in sorted(pinned):
        _checkout_one(project.root, store, stat_cache, pinned[uri], result)
    return result


def _pinned(lock: LockFile) -> tuple[dict[str, InputSnapshot], list[str]]:
    """The local snapshots of every pipeline, by path; a path two pipelines
    pin differently is left alone (which one is meant cannot be told)."""
    from repro.pipelines.data import Dataset

    found: dict[str, InputSnapshot] = {}
    clashing: set[str] = set()
    for entry in lock.pipelines.values():
        for uri, snapshot in entry.inputs.items():
            if snapshot.mode == "reference" or Dataset(uri).is_remote:
                continue
            if uri in found and found[uri].oid != snapshot.oid:
                clashing.add(uri)
            found.setdefault(uri, snapshot)
    return {u: s for u, s in found.items() if u not in clashing}, sorted(clashing)


def _checkout_one(
    root: str,
    store: ObjectStore,
    stat_cache: StatCache,
    pinned: InputSnapshot,
    result: DataCheckout,
) -> None:
    from repro.runner.datasets import escapes, restore_dataset
    from repro.snapshot import CheckoutConflictError
    from repro.snapshot.checkout import DestinationNotAFolderError

    if escapes(root, pinned.uri):
        return  # behind a symlink out of the project: not the work tree's to change
    path = os.path.join(root, pinned.uri.removeprefix("file://"))
    if not _stored(store, pinned.oid):
        result.missing.append(pinned.uri)
        return
    current = _current(path, store, stat_cache)
    if current is not None and current.oid == pinned.oid:
        result.unchanged.append(pinned.uri)
        return
    if current is not None and not _replaceable(store, path, pinned, current):
        result.kept.append(pinned.uri)
        return
    try:
        # A folder: checkout itself refuses to replace content not stored.
        restore_dataset(store, root, pinned, force=pinned.kind == "file")
    except (CheckoutConflictError, DestinationNotAFolderError):
        result.kept.append(pinned.uri)
        return
    result.restored.append(pinned.uri)


def _stored(store: ObjectStore, oid: str) -> bool:
    """The tree and every blob of it are in the local cache."""
    from repro.store import read_tree

    if not store.exists(oid):
        return False
    return not store.missing({entry.oid for entry in read_tree(store, oid).entries})


def _current(path: str, store: ObjectStore, stat_cache: StatCache) -> SnapshotResult | None:
    from repro.snapshot import snapshot

    if not os.path.lexists(path):
        return None
    return snapshot(path, algorithm=store.algorithm.name, stat_cache=stat_cache)


def _replaceable(
    store: ObjectStore, path: str, pinned: InputSnapshot, current: SnapshotResult
) -> bool:
    """What is there may give way: a folder for a folder (checkout itself
    keeps files whose content is not stored), a file whose content the
    store holds for a file."""
    if pinned.kind != "file":
        return os.path.isdir(path)
    entries = current.tree.entries
    return os.path.isfile(path) and len(entries) == 1 and store.exists(entries[0].oid)
