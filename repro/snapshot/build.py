"""snapshot: a local path or any fsspec URL becomes a tree (and, when a
store is given, every blob and the tree are stored, blobs first)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from repro.hashing import get_algorithm
from repro.snapshot.hashfiles import FileHash, HashJob, hash_listing
from repro.snapshot.remote import snapshot_url
from repro.snapshot.statcache import StatCache
from repro.snapshot.walk import Listing, list_files
from repro.store import ObjectStore, Tree, TreeEntry, write_tree

__all__ = ["SnapshotResult", "default_jobs", "snapshot"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SnapshotResult:
    tree: Tree
    oid: str
    uri: str
    hashed: int  # files read and hashed
    reused: int  # files whose id came from the stat cache
    stored: bool

    @property
    def files(self) -> int:
        return len(self.tree)

    @property
    def bytes(self) -> int:
        return self.tree.size


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def snapshot(
    target: str,
    *,
    algorithm: str,
    store: ObjectStore | None = None,
    stat_cache: StatCache | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    on_listed: Callable[[int], None] | None = None,
) -> SnapshotResult:
    """Snapshot ``target`` (a path or URL); stores objects when ``store`` is given."""
    if "://" in target and not target.startswith("file://"):
        tree = snapshot_url(target, algorithm, store)
        return _finish(tree, target, len(tree), 0, store)
    path = target.removeprefix("file://")
    started = time.time_ns()
    listing = list_files(path)
    if on_listed is not None:
        on_listed(len(listing.names))
    cached = stat_cache.load(_cache_root(listing)) if stat_cache is not None else {}
    if store is not None:
        store.packs()  # read once here so forked workers inherit the indexes
    algo = get_algorithm(algorithm)
    job = HashJob(listing, cached, store, algo.hexdigest, algo.new)
    results = hash_listing(job, jobs or default_jobs(), progress)
    if stat_cache is not None:
        _update_cache(stat_cache, listing, cached, results, started)
    tree = Tree.build(algorithm, _entries(listing, results), check=False)
    hashed = sum(result.hashed for result in results)
    return _finish(tree, listing.root, hashed, len(results) - hashed, store)


def _finish(tree: Tree, uri: str, hashed: int, reused: int, store: ObjectStore | None) -> SnapshotResult:
    oid = write_tree(store, tree) if store is not None else tree.oid
    return SnapshotResult(tree, oid, uri, hashed, reused, store is not None)


def _cache_root(listing: Listing) -> str:
    return os.path.dirname(listing.root) if listing.single else listing.root


def _entries(listing: Listing, results: list[FileHash]) -> list[TreeEntry]:
    return [
        TreeEntry(name, result.oid, result.size, result.executable)
        for name, result in zip(listing.names, results, strict=True)
    ]


def _update_cache(
    stat_cache: StatCache,
    listing: Listing,
    cached: dict[str, dict[str, tuple[int, int, int, str]]],
    results: list[FileHash],
    started: int,
) -> None:
    fresh = [
        (listing.absolute(name), result.key, result.oid)
        for name, result in zip(listing.names, results, strict=True)
        if result.hashed
    ]
    vanished = [] if listing.single else _vanished(listing, cached)
    if fresh or vanished:
        stat_cache.save(fresh, started, forget=vanished)


def _vanished(listing: Listing, cached: dict[str, dict[str, tuple[int, int, int, str]]]) -> list[str]:
    """Cached paths under the root that the walk no longer found."""
    present = {listing.absolute(name) for name in listing.names}
    return [
        f"{directory}/{name}"
        for directory, entries in cached.items()
        for name in entries
        if f"{directory}/{name}" not in present
    ]
