"""Moving objects from one store to another (push, pull, fetch): only what
the destination lacks, verified on the way, small objects in packs, in
parallel.

What is already there is found in a few requests (every pack index once,
then one listing of the loose objects, see ``ObjectStore.locate_many``).
Small objects are read from the source with one range request per run of
neighbours and written as new packs of at most ``CHUNK`` bytes; large
objects stream one by one. Every object is hashed as it passes: one whose
bytes do not match its id is reported and never written. Each pack and
each loose object is committed atomically, so an interrupted transfer
leaves whole objects only, and the next one moves just the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from repro.store.errors import CorruptObjectError
from repro.store.objects import Location, LooseLocation, ObjectStore
from repro.store.pack import PackLocation, PackWriter

__all__ = ["CHUNK", "DEFAULT_JOBS", "Progress", "TransferReport", "transfer"]

# The most bytes one worker gathers into one new pack; also bounds the
# memory a worker holds.
CHUNK = 32 << 20
# Two small objects this close in a source pack are read with one request.
_GAP = 1 << 20
DEFAULT_JOBS = 8


class Progress(Protocol):
    def start(self, objects: int) -> None:
        """How many objects will move (after the planning requests)."""

    def advance(self, objects: int, size: int) -> None:
        """Objects and bytes moved since the last call."""


@dataclass
class TransferReport:
    wanted: int = 0
    present: int = 0  # already at the destination
    moved: int = 0
    bytes: int = 0
    absent: set[str] = field(default_factory=set)  # in neither store
    corrupt: dict[str, str] = field(default_factory=dict)  # id -> what its bytes hash to

    @property
    def ok(self) -> bool:
        return not self.absent and not self.corrupt


@dataclass(frozen=True)
class _Packed:
    oid: str
    location: PackLocation


def transfer(
    source: ObjectStore,
    destination: ObjectStore,
    phases: Sequence[Collection[str]],
    *,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
) -> TransferReport:
    """Copy the objects of each phase that ``destination`` lacks, one phase
    after the other (blobs before the trees that list them, trees before
    the records), so that the destination never holds a tree without its
    blobs."""
    if source.algorithm.name != destination.algorithm.name:
        raise ValueError("stores of different hash algorithms cannot share objects")
    wanted = {oid for phase in phases for oid in phase}
    report = TransferReport(wanted=len(wanted))
    present = destination.present(wanted)
    report.present = len(present)
    todo = wanted - present
    where = source.locate_many(todo)
    report.absent = todo - where.keys()
    if progress is not None:
        progress.start(len(where))
    tick = _Ticker(progress)
    earlier: set[str] = set()
    for phase in phases:
        if earlier.intersection(report.corrupt) or earlier & report.absent:
            # A tree whose blob did not arrive (or a record whose tree did
            # not) must not arrive either.
            break
        earlier |= set(phase)
        ordered = sorted(oid for oid in phase if oid in where)
        _move(source, destination, {oid: where[oid] for oid in ordered}, jobs, report, tick)
        for oid in ordered:
            where.pop(oid)
    return report


class _Ticker:
    """Progress and totals from many workers at once."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._lock = threading.Lock()

    def __call__(self, report: TransferReport, objects: int, size: int) -> None:
        with self._lock:
            report.moved += objects
            report.bytes += size
            if self._progress is not None:
                self._progress.advance(objects, size)


def _move(
    source: ObjectStore,
    destination: ObjectStore,
    where: dict[str, Location],
    jobs: int,
    report: TransferReport,
    tick: _Ticker,
) -> None:
    loose = [oid for oid, location in where.items() if isinstance(location, LooseLocation)]
    packed = [
        _Packed(oid, location)
        for oid, location in where.items()
        if isinstance(location, PackLocation)
    ]
    tasks: list[Callable[[], None]] = [
        partial(_copy_packed, source, destination, chunk, report, tick)
        for chunk in _chunks(packed, min(CHUNK, destination.pack_size))
    ]
    tasks += [partial(_copy_loose, source, destination, oid, report, tick) for oid in loose]
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            task()
        return
    with ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(task) for task in tasks]
        try:
            for future in futures:
                future.result()
        except BaseException:
            # Ctrl-C or a failure: what has not started never starts; what
            # has finishes its object (each is committed whole or not at all).
            for future in futures:
                future.cancel()
            raise


def _chunks(packed: list[_Packed], limit: int) -> Iterator[list[_Packed]]:
    """Neighbours in the source together, each chunk at most ``limit`` bytes."""
    packed.sort(key=lambda item: (item.location.pack_id, item.location.offset))
    chunk: list[_Packed] = []
    size = 0
    for item in packed:
        if chunk and size + item.location.length > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += item.location.length
    if chunk:
        yield chunk


def _copy_packed(
    source: ObjectStore,
    destination: ObjectStore,
    chunk: list[_Packed],
    report: TransferReport,
    tick: _Ticker,
) -> None:
    writer = PackWriter(destination.backend, destination.algorithm)
    size = 0
    try:
        for oid, data in _read_verified(source, chunk, report):
            writer.add(oid, data)
            size += len(data)
    except BaseException:
        writer.abort()
        raise
    count = len(writer)
    pack_id = writer.finish()
    if pack_id is not None:
        destination.add_pack(pack_id)
        tick(report, count, size)


def _read_verified(
    source: ObjectStore, chunk: list[_Packed], report: TransferReport
) -> Iterator[tuple[str, memoryview]]:
    for run in _runs(chunk):
        first, last = run[0].location, run[-1].location
        start = first.offset
        data = memoryview(
            source.backend.read_range(first.pack_path, start, last.offset + last.length - start)
        )
        for item in run:
            offset = item.location.offset - start
            piece = data[offset : offset + item.location.length]
            actual = source.algorithm.hexdigest(piece)
            if actual != item.oid:
                report.corrupt[item.oid] = actual
                continue
            yield item.oid, piece


def _runs(chunk: list[_Packed]) -> Iterator[list[_Packed]]:
    """Objects of one source pack close enough to be read with one request."""
    run: list[_Packed] = []
    for item in chunk:
        if run:
            last = run[-1].location
            near = item.location.offset - (last.offset + last.length) <= _GAP
            if item.location.pack_id != last.pack_id or not near:
                yield run
                run = []
        run.append(item)
    if run:
        yield run


def _copy_loose(
    source: ObjectStore,
    destination: ObjectStore,
    oid: str,
    report: TransferReport,
    tick: _Ticker,
) -> None:
    pending = destination.backend.begin_write(destination.loose_path(oid).rsplit("/", 1)[0])
    size = 0
    try:
        for piece in source.read_chunks(oid, verify=True):
            pending.write(piece)
            size += len(piece)
    except CorruptObjectError as exc:
        pending.abort()
        report.corrupt[oid] = exc.actual
        return
    except BaseException:
        pending.abort()
        raise
    pending.commit(destination.loose_path(oid))
    tick(report, 1, size)
