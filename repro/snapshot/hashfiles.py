"""Hashing (and optionally storing) the files of a listing, on every core.

xxhash releases the GIL, but for many small files the per-file Python work
holds it and threads were measured slower here (0.75x), so the work is cut
into chunks handed to forked worker processes. Each worker stats its files,
skips those whose stat matches the stat cache (reporting them as ``None``,
which costs nothing to send back: the parent has the same cache), hashes
the rest and, when storing, writes small objects into a pack of its own. A
pack is committed whole, so a killed worker leaves no partial object. A
worker dies with the process that started it: a killed snapshot leaves no
worker reading files (and filling the disk) behind it.
"""

from __future__ import annotations

import errno
import functools
import mmap
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from repro.errors import ReproError
from repro.hashing import HashObject
from repro.snapshot.errors import (
    PathNotFoundError,
    SnapshotPathError,
    SymlinkLoopError,
    UnreadablePathError,
)
from repro.snapshot.statcache import Cached, Entry
from repro.snapshot.walk import Listing
from repro.store import Batch, ObjectStore
from repro.store.backend import iter_chunks
from repro.store.tree import rows_fragment

__all__ = ["ChunkResult", "HashJob", "cached_rows", "hash_listing"]

Progress = Callable[[int, int], None]  # files, bytes done since the last call
Fresh = dict[str, dict[str, Entry]]  # folder -> name -> entry, for files read this time

_STREAM_BUFFER = 1 << 20
INLINE_FILES = 2_000
# Small enough to balance two workers and to start them early, large enough
# that a run's pack (one per run when storing) is not a tiny file.
CHUNK_FILES = 8192
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_PARENT_POLL = 0.1  # seconds, where the kernel cannot tell a worker of its parent's death


@dataclass(frozen=True)
class HashJob:
    listing: Listing
    cached: Cached
    store: ObjectStore | None
    hexdigest: Callable[[bytes | memoryview], str]
    new_hasher: Callable[[], HashObject]
    # The stat cache says what was hashed, not what was stored (a --no-store
    # run fills it too, and a cache folder can be deleted): unless the store
    # holds the tree these entries last formed, whose blobs it must hold as
    # well, a hit is stored again when its blob is missing.
    hits_stored: bool = True


@dataclass
class ChunkResult:
    """What one run of the listing came to, in a form cheap to send between
    processes: its rows already serialized, and only the files it read."""

    start: int
    end: int
    rows: str | None  # a manifest fragment (see ``rows_fragment``); None: all cached
    files: int = 0
    bytes: int = 0
    fresh: Fresh = field(default_factory=dict)

    @property
    def hashed(self) -> int:
        return sum(len(names) for names in self.fresh.values())


_JOB: HashJob | None = None  # handed to forked workers through memory, not pickles


def hash_listing(
    job: HashJob, names: Iterator[str], jobs: int, progress: Progress | None = None
) -> list[ChunkResult]:
    """Hash the files the walk ``names`` yields, in consecutive runs; the
    names are appended to ``job.listing.names`` as they are taken."""
    listed = job.listing.names
    listed.extend(islice(names, INLINE_FILES))
    if jobs <= 1 or len(listed) < INLINE_FILES:
        listed.extend(names)
        result = _hash_range(job, 0, listed)
        _report(progress, result)
        return [result]
    return _run_forked(job, names, jobs, progress)


def _tasks(listed: list[str], names: Iterator[str], jobs: int) -> Iterator[tuple[int, list[str]]]:
    """Runs of the listing, each handed out as soon as the walk (which goes
    on in the pool's feeder thread) has listed it and one more, so that the
    stat and hash work overlaps the walk. Once the walk is over, what is
    left is cut evenly, so that no worker is left with a long last run."""
    start, walking = 0, True
    while walking:
        wanted = start + 2 * CHUNK_FILES - len(listed)
        before = len(listed)
        listed.extend(islice(names, wanted))
        walking = len(listed) - before == wanted
        if walking:
            yield start, listed[start : start + CHUNK_FILES]
            start += CHUNK_FILES
    left = len(listed) - start
    runs = max(jobs, -(-left // CHUNK_FILES)) if left else 0
    for index in range(runs):
        first, last = start + left * index // runs, start + left * (index + 1) // runs
        if last > first:
            yield first, listed[first:last]


def _run_forked(
    job: HashJob, names: Iterator[str], jobs: int, progress: Progress | None
) -> list[ChunkResult]:
    global _JOB
    _JOB = job
    parts: dict[int, ChunkResult] = {}
    try:
        _linux_prctl()  # looked up before the fork: every worker inherits it
        context = multiprocessing.get_context("fork")
        with context.Pool(jobs, _die_with_parent, (os.getpid(),)) as pool:
            tasks = _tasks(job.listing.names, names, jobs)
            for done in pool.imap_unordered(_worker, tasks):
                parts[done.start] = done
                _report(progress, done)
    finally:
        _JOB = None
    if job.store is not None:
        job.store.refresh()  # the workers committed packs this process has not read
    return [parts[start] for start in sorted(parts)]


def _die_with_parent(parent: int) -> None:
    """Make this worker end as soon as ``parent`` does. A pool's workers
    notice a dead parent only when they next ask for work, so a worker
    killed with its parent in the middle of a large run would go on reading
    for seconds; on Linux the kernel kills it at once, elsewhere a thread
    watches for the parent to go."""
    prctl = _linux_prctl()
    if prctl is None or prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the worker could ask
        os._exit(1)


@functools.cache
def _linux_prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, where there is one. Looked up in the parent before
    it forks (the workers inherit it), so that a worker is protected as
    soon as it starts instead of after importing ctypes."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL)
    os._exit(1)


def _worker(task: tuple[int, list[str]]) -> ChunkResult:
    assert _JOB is not None
    return _hash_range(_JOB, *task)


def _report(progress: Progress | None, done: ChunkResult) -> None:
    if progress is not None:
        progress(done.files, done.bytes)


def _hash_range(job: HashJob, start: int, names: list[str]) -> ChunkResult:
    """Hash ``names``, which stand at ``start`` in the listing; a pack begun
    here is committed only if every file was read.

    This is the hot loop of a snapshot (100,000 files go through it), so it
    is flat and works on tuples: every call and object here shows up.
    """
    listing = job.listing
    batch = job.store.batch() if job.store is not None else None
    entries: list[Entry] = []
    fresh: Fresh = {}
    paths = [listing.root] if listing.single else [f"{listing.root}/{name}" for name in names]
    path = listing.root
    folder: str | None = None
    known: dict[str, Entry] = {}
    stat, append = os.stat, entries.append  # local names: this loop runs 100,000 times
    try:
        for path in paths:
            directory, _, base = path.rpartition("/")
            if directory != folder:  # names come grouped by folder
                folder, known = directory, job.cached.get(directory) or {}
            hit = known.get(base)
            if hit is not None:
                info = stat(path)
                if (hit[2], hit[1], hit[0], hit[3], hit[5]) == (
                    info.st_mtime_ns,
                    info.st_size,
                    info.st_ino,
                    info.st_mode & 0o100 != 0,
                    info.st_ctime_ns,
                ) and (job.hits_stored or _stored(job, hit[4], batch)):
                    append(hit)
                    continue
            entry = _read(job, path, batch)
            fresh.setdefault(directory, {})[base] = entry
            append(entry)
    except BaseException as exc:
        if batch is not None:
            batch.abort()
        if isinstance(exc, OSError) and not isinstance(exc, ReproError):
            raise _path_error(path, exc) from exc
        raise
    if batch is not None:
        batch.close()
    # An unchanged run sends no rows: the parent needs them only if some
    # other run changed, and can then make them from the stat cache.
    rows = _rows(names, entries) if fresh else None
    total = sum(entry[1] for entry in entries)
    return ChunkResult(start, start + len(names), rows, len(names), total, fresh)


def _stored(job: HashJob, oid: str, batch: Batch | None) -> bool:
    assert job.store is not None
    return (batch is not None and oid in batch) or job.store.has(oid)


def _rows(names: list[str], entries: list[Entry]) -> str:
    return rows_fragment([(name, e[4], e[1], e[3]) for name, e in zip(names, entries, strict=True)])


def cached_rows(listing: Listing, cached: Cached, start: int, end: int) -> str:
    """The manifest fragment of names ``start:end``, all taken from the cache."""
    names = listing.names[start:end]
    prefix = listing.root + "/"
    entries = []
    for name in names:
        directory, _, base = (listing.root if listing.single else prefix + name).rpartition("/")
        entries.append(cached[directory][base])
    return _rows(names, entries)


def _read(job: HashJob, path: str, batch: Batch | None) -> Entry:
    # Open first and fstat the descriptor: cheaper than a path stat, and the
    # size and mtime then describe the very file that is read.
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        oid, size = _hash_fd(job, fd, info.st_size, batch)
    finally:
        os.close(fd)
    # The size is what was hashed: a file that grew while being read must not
    # be recorded with its old size beside the id of its new content.
    return (info.st_ino, size, info.st_mtime_ns, bool(info.st_mode & 0o100), oid, info.st_ctime_ns)


def _hash_fd(job: HashJob, fd: int, size: int, batch: Batch | None) -> tuple[str, int]:
    """The id and length of what ``fd`` holds (``size`` is what fstat said)."""
    store = job.store
    if store is not None and size >= store.pack_threshold:
        counted = _Counted(fd)
        return store.write_stream(counted), counted.total
    if size >= _STREAM_BUFFER and store is None:
        return _hash_stream(job, fd)
    data = _read_all(fd, size)
    oid = job.hexdigest(data)
    if batch is not None:
        batch.add_known(oid, data)
    return oid, len(data)


class _Counted:
    """The chunks of a file, counting their bytes as they go by."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.total = 0

    def __iter__(self) -> Iterator[bytes]:
        with os.fdopen(self._fd, "rb", buffering=0, closefd=False) as file:
            for chunk in iter_chunks(file, _STREAM_BUFFER):
                self.total += len(chunk)
                yield chunk


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


def _hash_stream(job: HashJob, fd: int) -> tuple[str, int]:
    hasher = job.new_hasher()
    buffer = _stream_buffer()
    view = memoryview(buffer)
    total = 0
    with os.fdopen(fd, "rb", buffering=0, closefd=False) as file:
        while count := file.readinto(buffer):
            hasher.update(view[:count])
            total += count
    return hasher.hexdigest(), total


_BUFFER: list[mmap.mmap] = []


def _stream_buffer() -> mmap.mmap:
    """One page-aligned buffer per process. A bytearray lands wherever the
    allocator puts it, and on the AMD EPYC machines here the kernel copies
    into a buffer 16-31 bytes past a page boundary 5-6x slower (measured:
    0.5-0.6 s per GiB against 0.1 s)."""
    if not _BUFFER:
        _BUFFER.append(mmap.mmap(-1, _STREAM_BUFFER))
    return _BUFFER[0]


def _path_error(path: str, exc: OSError) -> SnapshotPathError:
    if exc.errno == errno.ENOENT:
        return PathNotFoundError(path)
    if exc.errno == errno.ELOOP:
        return SymlinkLoopError(path)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return UnreadablePathError(path)
    return UnreadablePathError(path, exc.strerror or str(exc))
