"""Snapshotting any fsspec URL (``memory://``, ``s3://``, ``gs://`` …).

There is no stat cache for remote data: every object is read and hashed,
streamed so that a large object never sits whole in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from repro.errors import ReproError
from repro.hashing import get_algorithm
from repro.snapshot.errors import PathNotFoundError, UnreadablePathError
from repro.snapshot.walk import IGNORED_NAMES
from repro.store import ObjectStore, Tree, TreeEntry
from repro.store.backend import iter_chunks
from repro.store.fs import resolve

__all__ = ["find_objects", "snapshot_url"]


def snapshot_url(url: str, algorithm: str, store: ObjectStore | None) -> Tree:
    fs, root = resolve(url)
    # fsspec shares one instance per URL in a process: an earlier run's
    # listing must not answer for this one.
    fs.invalidate_cache()
    found = find_objects(fs, root, url)
    base = root.rstrip("/")
    entries = []
    for path in sorted(found):
        name = path[len(base) + 1 :] if path != base else base.rsplit("/", 1)[-1]
        # A key ending in "/" is a folder marker (the S3 console makes them).
        if not name or name.endswith("/") or IGNORED_NAMES.intersection(name.split("/")):
            continue
        oid, size = _hash_remote(fs, path, algorithm, store)
        entries.append(TreeEntry(name, oid, size))
    return Tree.build(algorithm, entries)


def find_objects(fs: Any, root: str, url: str) -> dict[str, dict[str, Any]]:
    """Every object under ``root`` with its listing details, in one listing."""
    try:
        if not fs.exists(root):
            raise PathNotFoundError(url)
        found: dict[str, dict[str, Any]] = fs.find(root, detail=True)
    except ReproError:
        raise
    except (OSError, ValueError) as exc:
        raise UnreadablePathError(url, str(exc)) from exc
    return found


def _hash_remote(
    fs: object, path: str, algorithm: str, store: ObjectStore | None
) -> tuple[str, int]:
    """The id and length of what was read (a listing's size may be stale or absent)."""
    hasher = get_algorithm(algorithm).new()
    total = 0

    def counted(file: IO[bytes]) -> Iterator[bytes]:
        nonlocal total
        for chunk in iter_chunks(file):
            total += len(chunk)
            yield chunk

    try:
        with fs.open(path, "rb") as file:  # type: ignore[attr-defined]
            if store is not None:
                return store.write_stream(counted(file)), total
            for chunk in counted(file):
                hasher.update(chunk)
            return hasher.hexdigest(), total
    except OSError as exc:
        raise UnreadablePathError(path, str(exc)) from exc
