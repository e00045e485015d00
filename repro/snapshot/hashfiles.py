"""Hashing (and optionally storing) the files of a listing, on every core.

xxhash releases the GIL, but for many small files the per-file Python work
holds it and threads were measured slower here (0.75x), so the work is cut
into chunks handed to forked worker processes. Each worker stats its files,
skips those whose stat matches the stat cache (reporting them as ``None``,
which costs nothing to send back: the parent has the same cache), hashes
the rest and, when storing, writes small objects into a pack of its own. A
pack is committed whole, so a killed worker leaves no partial object.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from repro.errors import ReproError
from repro.hashing import HashObject
from repro.snapshot.errors import (
    PathNotFoundError,
    SnapshotPathError,
    SymlinkLoopError,
    UnreadablePathError,
)
from repro.snapshot.statcache import Cached, Entry, entry_of
from repro.snapshot.walk import Listing
from repro.store import Batch, ObjectStore
from repro.store.backend import iter_chunks

__all__ = ["HashJob", "Outcome", "hash_listing"]

Progress = Callable[[int, int], None]  # files, bytes done since the last call
Outcome = list[Entry | None]  # None: the stat cache entry still holds

_STREAM_BUFFER = 1 << 20
INLINE_FILES = 2_000
_CHUNKS_PER_JOB = 8
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class HashJob:
    listing: Listing
    cached: Cached
    store: ObjectStore | None
    hexdigest: Callable[[bytes | memoryview], str]
    new_hasher: Callable[[], HashObject]


_JOB: HashJob | None = None  # handed to forked workers through memory, not pickles


def hash_listing(job: HashJob, jobs: int, progress: Progress | None = None) -> Outcome:
    """For each name of ``job.listing``, in order: its ``FileHash``, or None
    where the stat cache entry still describes the file."""
    chunks = list(_chunks(len(job.listing.names), jobs))
    if jobs <= 1 or len(chunks) <= 1:
        return _run_inline(job, chunks, progress)
    return _run_forked(job, chunks, jobs, progress)


def _chunks(total: int, jobs: int) -> Iterator[tuple[int, int]]:
    if total <= INLINE_FILES or jobs <= 1:
        yield 0, total
        return
    step = max(total // (jobs * _CHUNKS_PER_JOB), 256)
    for start in range(0, total, step):
        yield start, min(start + step, total)


def _run_inline(job: HashJob, chunks: list[tuple[int, int]], progress: Progress | None) -> Outcome:
    results: Outcome = []
    for start, end in chunks:
        done = _hash_range(job, start, end)
        _report(progress, done)
        results.extend(done)
    return results


def _run_forked(
    job: HashJob, chunks: list[tuple[int, int]], jobs: int, progress: Progress | None
) -> Outcome:
    global _JOB
    _JOB = job
    parts: dict[int, Outcome] = {}
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for index, done in pool.imap_unordered(_worker, list(enumerate(chunks))):
                parts[index] = done
                _report(progress, parts[index])
    finally:
        _JOB = None
    if job.store is not None:
        job.store.refresh()  # the workers committed packs this process has not read
    return [item for index in sorted(parts) for item in parts[index]]


def _worker(task: tuple[int, tuple[int, int]]) -> tuple[int, Outcome]:
    index, (start, end) = task
    assert _JOB is not None
    return index, _hash_range(_JOB, start, end)


def _report(progress: Progress | None, done: Outcome) -> None:
    if progress is not None:
        progress(len(done), sum(item[1] for item in done if item is not None))


def _hash_range(job: HashJob, start: int, end: int) -> Outcome:
    """Hash names ``start:end``; a pack begun here is committed only if
    every file was read.

    This is the hot loop of a snapshot (100,000 files go through it), so it
    is flat and works on tuples: every call and object here shows up.
    """
    listing = job.listing
    batch = job.store.batch() if job.store is not None else None
    results: Outcome = []
    prefix = listing.root + "/"
    path = listing.root
    try:
        for name in listing.names[start:end]:
            path = listing.root if listing.single else prefix + name
            results.append(_hash_one(job, path, batch))
    except BaseException as exc:
        if batch is not None:
            batch.abort()
        if isinstance(exc, OSError) and not isinstance(exc, ReproError):
            raise _path_error(path, exc) from exc
        raise
    if batch is not None:
        batch.close()
    return results


def _hash_one(job: HashJob, path: str, batch: Batch | None) -> Entry | None:
    directory, _, name = path.rpartition("/")
    known = job.cached.get(directory)
    hit = known.get(name) if known else None
    if hit is not None:
        info = os.stat(path)
        if hit[:4] == (info.st_ino, info.st_size, info.st_mtime_ns, bool(info.st_mode & 0o100)):
            return None
    # Open first and fstat the descriptor: cheaper than a path stat, and the
    # size and mtime then describe the very file that is read.
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        oid = _hash_fd(job, fd, info.st_size, batch)
    finally:
        os.close(fd)
    return entry_of(info, oid)


def _hash_fd(job: HashJob, fd: int, size: int, batch: Batch | None) -> str:
    store = job.store
    if store is not None and size >= store.pack_threshold:
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as file:
            return store.write_stream(iter_chunks(file, _STREAM_BUFFER))
    if size >= _STREAM_BUFFER and store is None:
        return _hash_stream(job, fd)
    data = _read_all(fd, size)
    oid = job.hexdigest(data)
    if batch is not None:
        batch.add_known(oid, data)
    return oid


def _read_all(fd: int, size: int) -> bytes:
    # One read of the expected size (plus one byte to notice growth): reading
    # with a large default buffer costs an allocation per file.
    data = os.read(fd, size + 1)
    if len(data) <= size:
        return data
    parts = [data]
    while chunk := os.read(fd, _STREAM_BUFFER):
        parts.append(chunk)
    return b"".join(parts)


def _hash_stream(job: HashJob, fd: int) -> str:
    hasher = job.new_hasher()
    buffer = bytearray(_STREAM_BUFFER)
    view = memoryview(buffer)
    with os.fdopen(fd, "rb", buffering=0, closefd=False) as file:
        while count := file.readinto(buffer):
            hasher.update(view[:count])
    return hasher.hexdigest()


def _path_error(path: str, exc: OSError) -> SnapshotPathError:
    if exc.errno == errno.ENOENT:
        return PathNotFoundError(path)
    if exc.errno == errno.ELOOP:
        return SymlinkLoopError(path)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return UnreadablePathError(path)
    return UnreadablePathError(path, exc.strerror or str(exc))
