"""snapshot: a local path or any fsspec URL becomes a tree (and, when a
store is given, every blob and the tree are stored, blobs first).

An unchanged folder costs a stat per file: every file's stat matches the
stat cache, nothing vanished, so the tree id remembered for the folder
still holds and no manifest is built (the tree is rebuilt from the cache
only if a caller asks for it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from repro.hashing import get_algorithm
from repro.snapshot.hashfiles import ChunkResult, HashJob, cached_rows, hash_listing
from repro.snapshot.remote import snapshot_url
from repro.snapshot.statcache import Cached, CachedTree, Entry, StatCache
from repro.snapshot.walk import Listing, start_listing
from repro.store import ObjectStore, Tree, TreeEntry, write_tree
from repro.store.tree import manifest_bytes

__all__ = ["SnapshotResult", "default_jobs", "snapshot"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SnapshotResult:
    oid: str
    uri: str
    algorithm: str
    files: int
    bytes: int
    hashed: int  # files read and hashed
    reused: int  # files whose id came from the stat cache
    stored: bool
    _load_tree: Callable[[], Tree] = field(repr=False, compare=False)

    @cached_property
    def tree(self) -> Tree:
        return self._load_tree()


def default_jobs() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def snapshot(
    target: str,
    *,
    algorithm: str,
    store: ObjectStore | None = None,
    stat_cache: StatCache | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> SnapshotResult:
    """Snapshot ``target`` (a path or URL); stores objects when ``store`` is given."""
    if "://" in target and not target.startswith("file://"):
        tree = snapshot_url(target, algorithm, store)
        oid = write_tree(store, tree) if store is not None else tree.oid
        stored = store is not None
        return SnapshotResult(
            oid, target, algorithm, len(tree), tree.size, len(tree), 0, stored, lambda: tree
        )
    return _snapshot_local(
        target.removeprefix("file://"), algorithm, store, stat_cache, jobs, progress
    )


def _snapshot_local(
    path: str,
    algorithm: str,
    store: ObjectStore | None,
    stat_cache: StatCache | None,
    jobs: int | None,
    progress: Progress | None,
) -> SnapshotResult:
    started = time.time_ns()
    listings = stat_cache.listings(os.path.abspath(path)) if stat_cache is not None else None
    listing, names = start_listing(path, listings)
    cache_root = os.path.dirname(listing.root) if listing.single else listing.root
    cached = stat_cache.load(cache_root) if stat_cache is not None else Cached()
    algo = get_algorithm(algorithm)
    remembered = _remembered_tree(stat_cache, listing, store)
    # A stored remembered tree means every cached blob is stored too: the
    # tree was written after its blobs, and saving any entry below the root
    # forgets it. Without one, hits must be checked against the store.
    hits_stored = store is None or remembered is not None
    job = HashJob(listing, cached, store, algo.hexdigest, algo.new, hits_stored)
    chunks = hash_listing(job, names, jobs or default_jobs(), progress)
    hashed = sum(chunk.hashed for chunk in chunks)
    files, size = len(listing.names), sum(chunk.bytes for chunk in chunks)
    if stat_cache is not None and listing.scanned:
        stat_cache.save_listings(listing.scanned, started)
    # Every file matched the cache and none vanished (each match uses up one
    # cached entry): the remembered tree still holds.
    if remembered is not None and hashed == 0 and len(listing.names) == cached.total():
        return _reused(listing, cached, remembered, algorithm, store)
    # The walk lists files in tree order, so the chunks' fragments, joined,
    # are the manifest: no per-file object is built in this process.
    fragments = [
        chunk.rows
        if chunk.rows is not None
        else cached_rows(listing, cached, chunk.start, chunk.end)
        for chunk in chunks
    ]
    data = manifest_bytes(algorithm, fragments)
    oid = store.write(data) if store is not None else algo.hexdigest(data)
    if stat_cache is not None:
        _remember(stat_cache, listing, cached, chunks, started, CachedTree(oid, files, size))
    stored = store is not None
    return SnapshotResult(
        oid,
        listing.root,
        algorithm,
        files,
        size,
        hashed,
        files - hashed,
        stored,
        lambda: Tree.from_bytes(data, oid),
    )


def _remembered_tree(
    stat_cache: StatCache | None, listing: Listing, store: ObjectStore | None
) -> CachedTree | None:
    """The tree last computed for this root, if the store (when given) holds it."""
    if stat_cache is None or listing.single:
        return None
    remembered = stat_cache.tree(listing.root)
    if remembered is None or (store is not None and not store.exists(remembered.oid)):
        return None
    return remembered


def _reused(
    listing: Listing, cached: Cached, tree: CachedTree, algorithm: str, store: ObjectStore | None
) -> SnapshotResult:
    def load() -> Tree:
        prefix = listing.root + "/"
        entries = []
        for name in listing.names:
            directory, _, base = (prefix + name).rpartition("/")
            _inode, size, _mtime, executable, oid, _ctime = cached[directory][base]
            entries.append(TreeEntry(name, oid, size, executable))
        return Tree.build(algorithm, entries, check=False)

    count = len(listing.names)
    stored = store is not None
    return SnapshotResult(
        tree.oid, listing.root, algorithm, count, tree.bytes, 0, count, stored, load
    )


def _remember(
    stat_cache: StatCache,
    listing: Listing,
    cached: Cached,
    chunks: list[ChunkResult],
    started: int,
    tree: CachedTree,
) -> None:
    fresh: dict[str, dict[str, Entry]] = {}
    for chunk in chunks:
        for directory, entries in chunk.fresh.items():
            fresh.setdefault(directory, {}).update(entries)
    hits = len(listing.names) - sum(len(entries) for entries in fresh.values())
    vanished = [] if listing.single else _vanished(listing, cached, hits)
    remembered = None if listing.single else (listing.root, tree)
    stat_cache.save(fresh, started, forget=vanished, base=cached, tree=remembered)


def _vanished(listing: Listing, cached: Cached, hits: int) -> list[str]:
    """Cached paths under the root that the walk no longer found."""
    if hits == cached.total():
        return []  # each hit used up one cached entry: none is left over
    prefix = listing.root + "/"
    present = {prefix + name for name in listing.names}
    return [
        f"{directory}/{name}"
        for directory, entries in cached.items()
        for name in entries
        if f"{directory}/{name}" not in present
    ]
