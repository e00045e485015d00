"""fsck by sampling: N loose and N packed objects drawn at random, each
checked against its id, found through one listing instead of a request per
folder."""

from __future__ import annotations

from collections.abc import Callable

from store_testing import ALGORITHM, PACK_THRESHOLD, RecordingBackend

from repro.store import ObjectStore, Tree, TreeEntry, write_tree
from repro.store.fsck import fsck
from repro.store.pack import PackLocation

Blob = Callable[..., bytes]
Damage = Callable[[str, int], None]


def fill(store: ObjectStore, make_blob: Blob, loose: int = 6, packed: int = 6) -> list[str]:
    oids = [store.write(make_blob(2000, seed=i)) for i in range(loose)]
    with store.batch() as batch:
        oids += [batch.add(f"packed {i}".encode()) for i in range(packed)]
    return oids


def reads(recording: RecordingBackend) -> list[tuple[str, str]]:
    return [call for call in recording.calls if call[0] in ("read_bytes", "read_range")]


def test_a_sample_reads_at_most_n_loose_and_n_packed_objects(
    store: ObjectStore, make_blob: Blob
) -> None:
    fill(store, make_blob)
    recording = RecordingBackend(store.backend)
    watched = ObjectStore(recording, ALGORITHM, pack_threshold=PACK_THRESHOLD)
    report = fsck(watched, sample=2, seed=1)
    assert report.ok and (report.checked, report.total, report.sample) == (4, 12, 2)
    objects = [path for call, path in reads(recording) if not path.endswith(".idx")]
    assert len(objects) == 4
    assert ("listdir", "objects") not in recording.calls  # one listing, not one per folder


def test_the_same_seed_draws_the_same_objects(store: ObjectStore, make_blob: Blob) -> None:
    fill(store, make_blob)
    drawn = []
    for _ in range(2):
        recording = RecordingBackend(store.backend)
        fsck(ObjectStore(recording, ALGORITHM), sample=3, seed="s")
        drawn.append(reads(recording))
    assert drawn[0] == drawn[1]


def test_a_sample_larger_than_the_store_checks_everything(
    store: ObjectStore, make_blob: Blob, flip_byte: Damage
) -> None:
    oids = fill(store, make_blob, loose=2, packed=2)
    location = store.locate(oids[3])
    assert isinstance(location, PackLocation)
    flip_byte(location.pack_path, location.offset)
    report = fsck(store, sample=100)
    assert report.checked == 4
    [problem] = report.problems
    assert problem.oid == oids[3] and problem.reason.startswith("content hashes to ")


def test_a_sampled_tree_is_checked_for_its_blobs(store: ObjectStore, make_blob: Blob) -> None:
    [blob] = fill(store, make_blob, loose=1, packed=0)
    gone = store.write(make_blob(2000, seed="gone"))
    entries = [TreeEntry("kept", blob, 2000), TreeEntry("gone", gone, 2000)]
    tree = write_tree(store, Tree.build(ALGORITHM, entries))
    store.backend.remove(store.loose_path(gone))
    report = fsck(store, sample=10)
    [problem] = report.problems
    assert problem.oid == tree and gone in problem.reason


def test_a_sample_reports_leftovers_from_the_listings(store: ObjectStore, make_blob: Blob) -> None:
    fill(store, make_blob, loose=1, packed=1)
    [pack_id] = store.pack_ids()
    store.backend.remove(f"packs/{pack_id}.idx")
    assert fsck(store, sample=5).leftovers == [f"packs/{pack_id}.pack"]
