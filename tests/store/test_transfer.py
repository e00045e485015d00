"""Moving objects between stores: the transfer contract, run with the local
cache on one side and each backend (folder, memory, real S3) on the other,
in both directions."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from s3_testing import S3Server
from store_testing import ALGORITHM, PACK_THRESHOLD, RecordingBackend

from repro.store import Backend, FsspecBackend, LocalBackend, ObjectStore
from repro.store.fsck import fsck
from repro.store.transfer import TransferReport, transfer

Blob = Callable[..., bytes]


class Counter:
    def __init__(self) -> None:
        self.total: int | None = None
        self.objects = 0
        self.bytes = 0

    def start(self, objects: int) -> None:
        self.total = objects

    def advance(self, objects: int, size: int) -> None:
        self.objects += objects
        self.bytes += size


def fill(store: ObjectStore, count: int, seed: int = 0, large: int = 0) -> list[str]:
    """``count`` small objects in packs and ``large`` loose ones."""
    rnd = random.Random(seed)
    oids = []
    with store.batch() as batch:
        for _ in range(count):
            oids.append(batch.add(rnd.randbytes(rnd.randint(1, PACK_THRESHOLD - 1))))
    for _ in range(large):
        oids.append(store.write(rnd.randbytes(PACK_THRESHOLD * 3)))
    return oids


@pytest.fixture
def local_store(tmp_path: Path) -> ObjectStore:
    """The source: a local cache beside the backend under test."""
    return ObjectStore(
        LocalBackend(str(tmp_path / "source")), ALGORITHM, pack_threshold=PACK_THRESHOLD
    )


@pytest.fixture
def remote(backend: Backend) -> ObjectStore:
    return ObjectStore(backend, ALGORITHM, pack_threshold=PACK_THRESHOLD)


def test_push_copies_every_object_bit_for_bit(
    local_store: ObjectStore, remote: ObjectStore
) -> None:
    oids = fill(local_store, 300, large=3)
    report = transfer(local_store, remote, [oids])
    assert report.ok and report.moved == len(oids) and report.present == 0
    assert remote.locate_many(oids).keys() == set(oids)
    assert all(remote.read(oid) == local_store.read(oid) for oid in oids[::30])
    assert fsck(remote).ok


def test_pull_copies_every_object_back(
    tmp_path: Path, local_store: ObjectStore, remote: ObjectStore
) -> None:
    oids = fill(local_store, 200, large=2)
    transfer(local_store, remote, [oids])
    fresh = ObjectStore(LocalBackend(str(tmp_path / "fresh")), ALGORITHM)
    report = transfer(remote, fresh, [oids])
    assert report.ok and report.moved == len(oids)
    assert all(fresh.read(oid) == local_store.read(oid) for oid in oids)
    assert fsck(fresh).ok


def test_a_second_transfer_moves_nothing(local_store: ObjectStore, remote: ObjectStore) -> None:
    oids = fill(local_store, 100, large=1)
    transfer(local_store, remote, [oids])
    report = transfer(local_store, remote, [oids])
    assert report.moved == 0 and report.present == len(oids)


def test_only_missing_objects_move(local_store: ObjectStore, remote: ObjectStore) -> None:
    first = fill(local_store, 50, seed=1)
    transfer(local_store, remote, [first])
    second = fill(local_store, 20, seed=2)
    counter = Counter()
    report = transfer(local_store, remote, [first + second], progress=counter)
    assert report.moved == 20 and report.present == 50
    assert counter.total == 20 and counter.objects == 20 and counter.bytes == report.bytes


def test_small_objects_travel_in_a_few_requests(local_store: ObjectStore, backend: Backend) -> None:
    oids = fill(local_store, 2000)
    recording = RecordingBackend(backend)
    remote = ObjectStore(recording, ALGORITHM, pack_threshold=PACK_THRESHOLD)
    transfer(local_store, remote, [oids])
    writes = [call for call in recording.calls if call[0] in ("begin_write", "write_atomic")]
    looks = [call for call in recording.calls if call[0] in ("exists", "read_bytes")]
    # One pack and its index; on a remote, existence is one listing, not a
    # look per object (a local folder answers a stat each, cheaper than a walk).
    assert len(writes) <= 4
    assert isinstance(backend, LocalBackend) or len(looks) <= 4


def test_presence_is_checked_by_listing_not_per_object(
    local_store: ObjectStore, backend: Backend
) -> None:
    oids = fill(local_store, 0, large=100)
    transfer(local_store, ObjectStore(backend, ALGORITHM, pack_threshold=PACK_THRESHOLD), [oids])
    recording = RecordingBackend(backend)
    remote = ObjectStore(recording, ALGORITHM, pack_threshold=PACK_THRESHOLD)
    report = transfer(local_store, remote, [oids])
    assert report.present == 100
    per_object = [call for call in recording.calls if call[0] == "exists"]
    if isinstance(backend, LocalBackend):
        assert len(per_object) == 100  # a stat each: cheaper than walking the folder
    else:
        assert per_object == []


def test_a_corrupt_object_is_rejected_and_reported(
    tmp_path: Path, local_store: ObjectStore, remote: ObjectStore, flip_byte: Callable[..., None]
) -> None:
    oids = fill(local_store, 20, large=1)
    transfer(local_store, remote, [oids])
    small, large = oids[5], oids[-1]
    small_at = remote.locate(small)
    flip_byte(small_at.pack_path, small_at.offset)  # type: ignore[union-attr]
    flip_byte(remote.loose_path(large), 10)
    fresh = ObjectStore(LocalBackend(str(tmp_path / "fresh")), ALGORITHM)
    report = transfer(remote, fresh, [oids])
    assert set(report.corrupt) == {small, large}
    assert not fresh.exists(small) and not fresh.exists(large)
    assert report.moved == len(oids) - 2
    assert fsck(fresh).ok


def test_objects_in_neither_store_are_reported(
    local_store: ObjectStore, remote: ObjectStore
) -> None:
    absent = local_store.algorithm.hexdigest(b"never stored")
    report = transfer(local_store, remote, [[absent]])
    assert report.absent == {absent} and not report.ok


class FailingAfter(RecordingBackend):
    """Fails the n-th commit, as a dropped connection would."""

    def __init__(self, inner: Backend, commits: int) -> None:
        super().__init__(inner)
        self.left = commits

    def begin_write(self, directory: str):  # type: ignore[no-untyped-def]
        pending = self.inner.begin_write(directory)
        outer = self

        class Pending:
            def write(self, chunk: bytes | memoryview) -> None:
                pending.write(chunk)

            def commit(self, path: str) -> None:
                outer.left -= 1
                if outer.left < 0:
                    pending.abort()
                    raise ConnectionError("connection dropped")
                pending.commit(path)

            def abort(self) -> None:
                pending.abort()

        return Pending()


def test_an_interrupted_push_leaves_whole_objects_and_the_next_completes_it(
    local_store: ObjectStore, backend: Backend
) -> None:
    oids = fill(local_store, 0, large=30)
    failing = ObjectStore(FailingAfter(backend, 10), ALGORITHM, pack_threshold=PACK_THRESHOLD)
    with pytest.raises(ConnectionError):
        transfer(local_store, failing, [oids], jobs=1)
    remote = ObjectStore(backend, ALGORITHM, pack_threshold=PACK_THRESHOLD)
    assert fsck(remote).ok
    report = transfer(local_store, remote, [oids])
    assert report.present == 10 and report.moved == 20
    assert fsck(remote).ok and remote.locate_many(oids).keys() == set(oids)


def test_phases_commit_in_order(local_store: ObjectStore, backend: Backend) -> None:
    blobs = fill(local_store, 0, large=3, seed=1)
    trees = fill(local_store, 0, large=3, seed=2)
    failing = ObjectStore(FailingAfter(backend, 4), ALGORITHM, pack_threshold=PACK_THRESHOLD)
    with pytest.raises(ConnectionError):
        transfer(local_store, failing, [blobs, trees], jobs=1)
    remote = ObjectStore(backend, ALGORITHM, pack_threshold=PACK_THRESHOLD)
    assert all(remote.exists(oid) for oid in blobs)
    assert sum(remote.exists(oid) for oid in trees) == 1


def test_a_report_without_problems_is_ok() -> None:
    assert TransferReport().ok


def test_an_upload_cut_short_leaves_no_object_under_its_id(s3_server: S3Server) -> None:
    """Closing an S3 upload commits it: one interrupted mid-way (Ctrl-C
    between two blocks) must be discarded, not closed."""
    backend = FsspecBackend(s3_server.fs(), f"{s3_server.new_bucket()}/store")
    store = ObjectStore(backend, ALGORITHM)
    data = random.Random(7).randbytes(9 << 20)
    oid = store.algorithm.hexdigest(data)
    pending = backend.begin_write("objects")
    pending.write(data)
    spool = pending._spool  # type: ignore[attr-defined]
    reads = iter([spool.read, KeyboardInterrupt])

    def read(size: int = -1) -> bytes:
        step = next(reads)
        if step is KeyboardInterrupt:
            raise KeyboardInterrupt
        return step(size)  # type: ignore[operator]

    spool.read = read
    with pytest.raises(KeyboardInterrupt):
        pending.commit(store.loose_path(oid))
    assert not store.exists(oid)
    assert store.locate_many([oid]) == {}


def test_nothing_of_a_later_phase_moves_after_a_corrupt_object(
    local_store: ObjectStore, remote: ObjectStore
) -> None:
    blobs = fill(local_store, 0, large=2, seed=3)
    trees = fill(local_store, 0, large=1, seed=4)
    path = local_store.backend.local_path(local_store.loose_path(blobs[0]))
    assert path is not None
    os.chmod(path, 0o644)
    with open(path, "r+b") as file:
        file.write(b"\x00")
    report = transfer(local_store, remote, [blobs, trees])
    assert set(report.corrupt) == {blobs[0]}
    assert not remote.exists(trees[0])
