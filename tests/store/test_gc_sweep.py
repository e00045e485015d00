"""The gc sweep removes exactly the unreferenced objects older than the grace
period, and never a live one: loose, packed, in packs it rewrites."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from store_testing import ALGORITHM, PACK_THRESHOLD, FileList, RecordingBackend

from repro.store import Backend, LocalBackend, ObjectStore
from repro.store.backend import FileInfo
from repro.store.gc import plan_sweep, sweep
from repro.store.pack import PackLocation

Blob = Callable[..., bytes]
LATER = 10_000.0  # seconds ahead: every file is older than a one-hour grace period
GRACE = 3600.0


def later() -> float:
    return time.time() + LATER


def loose(store: ObjectStore, make_blob: Blob, count: int, seed: str) -> list[str]:
    return [store.write(make_blob(2000, seed=f"{seed}{i}")) for i in range(count)]


def packed(store: ObjectStore, count: int, seed: str) -> list[str]:
    with store.batch() as batch:
        return [batch.add(f"{seed} {i}".encode()) for i in range(count)]


def reopen(store: ObjectStore) -> ObjectStore:
    backend = LocalBackend(store.backend.root) if isinstance(store.backend, LocalBackend) else None
    return ObjectStore(backend or store.backend, ALGORITHM, pack_threshold=PACK_THRESHOLD)


def test_unreferenced_loose_objects_go_and_live_ones_stay(
    store: ObjectStore, make_blob: Blob
) -> None:
    live, dead = loose(store, make_blob, 2, "live"), loose(store, make_blob, 3, "dead")
    report = sweep(store, set(live), grace_seconds=GRACE, dry_run=False, now=later())
    assert (report.removed, report.removed_bytes, report.kept) == (3, 6000, 2)
    fresh = reopen(store)
    assert fresh.missing(live + dead) == set(dead)
    assert all(fresh.read(oid) for oid in live)


def test_a_dry_run_removes_nothing_and_counts_what_a_sweep_removes(
    store: ObjectStore, make_blob: Blob, files: FileList
) -> None:
    live = loose(store, make_blob, 1, "live") + packed(store, 2, "live")
    loose(store, make_blob, 2, "dead")
    packed(store, 3, "dead")
    before = files()
    dry = sweep(store, set(live), grace_seconds=GRACE, dry_run=True, now=later())
    assert files() == before and dry.dry_run
    real = sweep(store, set(live), grace_seconds=GRACE, dry_run=False, now=later())
    dry.dry_run = False
    real.packs_written = dry.packs_written = 0  # only a real sweep writes packs
    assert real == dry
    assert (real.removed, real.packs_removed) == (5, 1)


def test_a_pack_with_no_live_object_is_deleted_index_first(
    store: ObjectStore, make_blob: Blob
) -> None:
    packed(store, 3, "dead")
    [pack_id] = store.pack_ids()
    recording = RecordingBackend(store.backend)
    watched = ObjectStore(recording, ALGORITHM, pack_threshold=PACK_THRESHOLD)
    report = sweep(watched, set(), grace_seconds=GRACE, dry_run=False, now=later())
    removes = [path for call, path in recording.calls if call == "remove"]
    assert removes == [f"packs/{pack_id}.idx", f"packs/{pack_id}.pack"]
    assert (report.removed, report.packs_removed) == (3, 1)
    assert reopen(store).pack_ids() == []


def test_a_pack_with_some_dead_objects_is_rewritten_before_it_goes(
    store: ObjectStore, make_blob: Blob
) -> None:
    with store.batch() as batch:
        keep = [batch.add(f"keep {i}".encode()) for i in range(3)]
        drop = [batch.add(f"drop {i}".encode()) for i in range(4)]
    [old] = store.pack_ids()
    recording = RecordingBackend(store.backend)
    watched = ObjectStore(recording, ALGORITHM, pack_threshold=PACK_THRESHOLD)
    report = sweep(watched, set(keep), grace_seconds=GRACE, dry_run=False, now=later())
    assert (report.packs_rewritten, report.packs_written, report.removed) == (1, 1, 4)
    calls = recording.calls
    committed = next(i for i, c in enumerate(calls) if c[0] == "write_atomic")
    assert calls.index(("remove", f"packs/{old}.idx")) > committed
    fresh = reopen(store)
    [new] = fresh.pack_ids()
    assert new != old
    assert [fresh.read(oid) for oid in keep] == [f"keep {i}".encode() for i in range(3)]
    assert fresh.missing(drop) == set(drop)


def test_live_objects_of_several_rewritten_packs_share_one_new_pack(store: ObjectStore) -> None:
    live = [packed(store, 3, f"pack{n}")[0] for n in range(3)]
    assert len(store.pack_ids()) == 3
    report = sweep(store, set(live), grace_seconds=GRACE, dry_run=False, now=later())
    assert (report.packs_rewritten, report.packs_written) == (3, 1)
    fresh = reopen(store)
    assert len(fresh.pack_ids()) == 1 and fresh.missing(live) == set()


def test_nothing_written_within_the_grace_period_is_removed(
    store: ObjectStore, make_blob: Blob, files: FileList
) -> None:
    loose(store, make_blob, 2, "dead")
    packed(store, 2, "dead")
    before = files()
    report = sweep(store, set(), grace_seconds=GRACE, dry_run=False)
    assert files() == before
    assert (report.removed, report.kept, report.kept_recent) == (0, 4, 4)


def test_only_the_files_older_than_the_grace_period_go(
    local_store: ObjectStore, make_blob: Blob
) -> None:
    old, new = loose(local_store, make_blob, 2, "old"), loose(local_store, make_blob, 2, "new")
    now = time.time()
    for oid in old:
        path = local_store.backend.local_path(local_store.loose_path(oid))
        assert path is not None
        os.utime(path, (now - 2 * GRACE, now - 2 * GRACE))
    report = sweep(local_store, set(), grace_seconds=GRACE, dry_run=False, now=now)
    assert local_store.missing(old + new) == set(old)
    assert (report.removed, report.kept_recent) == (2, 2)


class _Untimed(RecordingBackend):
    """A backend whose listings carry no modification time."""

    def list_files(self, directory: str) -> dict[str, FileInfo]:
        return {p: FileInfo(i.size, None) for p, i in self.inner.list_files(directory).items()}


def test_objects_with_no_time_are_kept_and_counted(
    local_store: ObjectStore, make_blob: Blob
) -> None:
    dead = loose(local_store, make_blob, 2, "dead") + packed(local_store, 2, "dead")
    untimed = ObjectStore(_Untimed(local_store.backend), ALGORITHM, pack_threshold=PACK_THRESHOLD)
    report = sweep(untimed, set(), grace_seconds=GRACE, dry_run=False, now=later())
    assert (report.removed, report.kept_untimed) == (0, 4)
    assert local_store.missing(dead) == set()


def test_leftovers_of_interrupted_writes_go_once_old(local_store: ObjectStore) -> None:
    backend = local_store.backend
    assert isinstance(backend, LocalBackend)
    pending = backend.begin_write("objects")
    pending.write(b"half an object")  # a killed streamed write: its temp file stays
    packed(local_store, 1, "orphan")
    [pack_id] = local_store.pack_ids()
    backend.remove(f"packs/{pack_id}.idx")  # a pack whose index was never written
    recent = sweep(local_store, set(), grace_seconds=GRACE, dry_run=False)
    assert recent.leftovers_removed == 0
    report = sweep(local_store, set(), grace_seconds=GRACE, dry_run=False, now=later())
    assert report.leftovers_removed == 2 and report.leftover_bytes > 0
    assert local_store.leftovers() == []


def test_a_damaged_live_object_leaves_its_pack_as_it_is(local_store: ObjectStore) -> None:
    with local_store.batch() as batch:
        keep = batch.add(b"live object")
        batch.add(b"dead object")
    location = local_store.locate(keep)
    assert isinstance(location, PackLocation)
    [pack_id] = local_store.pack_ids()
    _flip(local_store.backend, location.pack_path, location.offset)
    report = sweep(local_store, {keep}, grace_seconds=GRACE, dry_run=False, now=later())
    assert local_store.pack_ids() == [pack_id]
    assert report.removed == 0 and report.packs_rewritten == 0
    assert len(report.problems) == 1 and "damaged" in report.problems[0]


def _flip(backend: Backend, path: str, offset: int) -> None:
    assert isinstance(backend, LocalBackend)
    full = backend.full(path)
    data = bytearray(backend.read_bytes(path))
    data[offset] ^= 0xFF
    os.chmod(full, 0o644)
    with open(full, "wb") as file:
        file.write(bytes(data))


@st.composite
def stores(draw: st.DrawFn) -> tuple[list[list[bytes]], list[bytes], set[int], set[int]]:
    """Packs of small objects, loose large ones, which are live (by position)
    and which are old."""
    packs = draw(st.lists(st.lists(st.binary(max_size=40), max_size=6), max_size=4))
    bigs = draw(
        st.lists(st.binary(min_size=PACK_THRESHOLD, max_size=PACK_THRESHOLD + 8), max_size=4)
    )
    count = sum(len(p) for p in packs) + len(bigs)
    live = draw(st.sets(st.integers(0, max(count - 1, 0)), max_size=count))
    old = draw(st.sets(st.integers(0, max(count - 1, 0)), max_size=count))
    return packs, bigs, live, old


@settings(max_examples=40, deadline=None)
@given(stores())
def test_a_sweep_never_removes_a_live_object_nor_a_recent_one(
    drawn: tuple[list[list[bytes]], list[bytes], set[int], set[int]],
) -> None:
    packs, bigs, live_at, old_at = drawn
    with tempfile.TemporaryDirectory() as folder:
        store = ObjectStore(LocalBackend(folder), ALGORITHM, pack_threshold=PACK_THRESHOLD)
        oids = []
        for objects in packs:
            with store.batch() as batch:
                oids += [batch.add(data) for data in objects]
        oids += [store.write(data) for data in bigs]
        live = {oids[i] for i in live_at if i < len(oids)}
        now = time.time()
        _age_objects(store, {oids[i] for i in old_at if i < len(oids)}, now - 2 * GRACE)
        plan = plan_sweep(store, live, grace_seconds=GRACE, now=now)
        assert not plan.removed_oids() & live
        sweep(store, live, grace_seconds=GRACE, dry_run=False, now=now)
        fresh = reopen(store)
        assert fresh.missing(live) == set()
        for oid in live:
            fresh.read(oid)  # verified against its id
        assert fresh.missing(oids) == plan.removed_oids()


def _age_objects(store: ObjectStore, oids: set[str], stamp: float) -> None:
    """Backdate the files holding ``oids``; a pack only when all its objects
    are to be old (a pack is one file)."""
    backend = store.backend
    assert isinstance(backend, LocalBackend)
    for oid in oids:
        if not store.is_packed(oid):
            os.utime(backend.full(store.loose_path(oid)), (stamp, stamp))
    for index in store.packs():
        if set(index.oids()) <= oids:
            for suffix in (".pack", ".idx"):
                os.utime(backend.full(f"packs/{index.pack_id}{suffix}"), (stamp, stamp))
