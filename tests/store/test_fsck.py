"""fsck names every object that is damaged, missing or left half-written."""

from __future__ import annotations

from collections.abc import Callable

import xxhash

from repro.store import FsckProblem, ObjectStore, Tree, TreeEntry, write_tree
from repro.store.fsck import fsck
from repro.store.pack import PackLocation

Blob = Callable[..., bytes]
Damage = Callable[[str, int], None]


def fill(store: ObjectStore, make_blob: Blob) -> tuple[list[str], list[str], str]:
    """Loose objects, packed objects and a tree listing them all."""
    loose = [store.write(make_blob(2000, seed=i)) for i in range(3)]
    with store.batch() as batch:
        packed = [batch.add(f"packed {i}".encode()) for i in range(3)]
    entries = [TreeEntry(f"f{i}", oid, 1) for i, oid in enumerate(loose + packed)]
    tree = write_tree(store, Tree.build("xxh3-128", entries))
    return loose, packed, tree


def packed_location(store: ObjectStore, oid: str) -> PackLocation:
    location = store.locate(oid)
    assert isinstance(location, PackLocation)
    return location


def test_clean_store_is_ok(store: ObjectStore, make_blob: Blob) -> None:
    fill(store, make_blob)
    report = fsck(store)
    assert report.problems == []
    assert report.ok
    assert (report.checked, report.trees) == (7, 1)


def test_empty_store_is_ok(store: ObjectStore) -> None:
    report = fsck(store)
    assert report.ok and report.checked == 0


def test_flipped_byte_in_a_loose_object_is_named(
    store: ObjectStore, make_blob: Blob, flip_byte: Damage
) -> None:
    loose, _, _ = fill(store, make_blob)
    flip_byte(store.loose_path(loose[1]), 7)
    [problem] = fsck(store).problems
    assert (problem.oid, problem.where) == (loose[1], store.loose_path(loose[1]))
    assert problem.reason.startswith("content hashes to ")


def test_flipped_byte_in_a_packed_object_is_named(
    store: ObjectStore, make_blob: Blob, flip_byte: Damage
) -> None:
    _, packed, _ = fill(store, make_blob)
    location = packed_location(store, packed[2])
    flip_byte(location.pack_path, location.offset)
    [problem] = fsck(store).problems
    assert (problem.oid, problem.where) == (packed[2], location.pack_path)
    assert problem.reason.startswith("content hashes to ")


def test_truncated_pack_names_the_objects_cut_off(store: ObjectStore, truncate: Damage) -> None:
    with store.batch() as batch:
        first = batch.add(b"first")
        second = batch.add(b"second")
    cut = max(packed_location(store, oid).offset for oid in (first, second))
    last = first if packed_location(store, first).offset == cut else second
    truncate(packed_location(store, last).pack_path, cut + 1)
    [problem] = fsck(store).problems
    assert (problem.oid, problem.reason) == (last, "truncated in the pack")


def test_index_without_its_pack_is_reported(store: ObjectStore) -> None:
    with store.batch() as batch:
        oid = batch.add(b"lost")
    path = packed_location(store, oid).pack_path
    store.backend.remove(path)
    assert fsck(store).problems == [FsckProblem(path, "pack file missing")]


def test_tree_with_a_missing_blob_is_reported(store: ObjectStore) -> None:
    present = store.write(b"present")
    absent = xxhash.xxh3_128_hexdigest(b"absent")
    tree = Tree.build("xxh3-128", [TreeEntry("a", present, 7), TreeEntry("b", absent, 6)])
    tree_oid = write_tree(store, tree)
    [problem] = fsck(store).problems
    assert problem.oid == tree_oid
    assert problem.reason == f"lists blob {absent}, which is missing"


def test_packed_tree_is_checked_too(store: ObjectStore) -> None:
    absent = xxhash.xxh3_128_hexdigest(b"absent")
    with store.batch() as batch:
        tree_oid = batch.add(Tree.build("xxh3-128", [TreeEntry("a", absent, 6)]).to_bytes())
    report = fsck(store)
    assert report.trees == 1
    assert [(p.oid, p.reason) for p in report.problems] == [
        (tree_oid, f"lists blob {absent}, which is missing")
    ]


def test_invalid_tree_is_reported(store: ObjectStore) -> None:
    data = b'{"algorithm":"xxh3-128","entries":[["../x","%s",1,false]],"format":"repro.tree/v1"}'
    oid = store.write(data % xxhash.xxh3_128_hexdigest(b"x").encode())
    [problem] = fsck(store).problems
    assert problem.oid == oid
    assert "bad path '../x'" in problem.reason


def test_tree_of_another_algorithm_is_reported(store: ObjectStore) -> None:
    oid = store.write(Tree.build("sha256", [TreeEntry("a", "0" * 64, 1)]).to_bytes())
    [problem] = fsck(store).problems
    assert (problem.oid, problem.reason) == (oid, "lists sha256 ids in a xxh3-128 store")


def test_orphan_pack_is_a_leftover_not_a_problem(store: ObjectStore) -> None:
    orphan = "0" * 32
    store.backend.write_atomic(f"packs/{orphan}.pack", [b"RPRPACK\x01half"])
    report = fsck(store)
    assert report.ok and report.leftovers == [f"packs/{orphan}.pack"]


def test_leftover_temp_files_are_not_objects(store: ObjectStore, make_blob: Blob) -> None:
    fill(store, make_blob)
    store.backend.write_atomic("objects/.tmp-killed", [b"half an object"])
    store.backend.write_atomic("objects/ab/.tmp-killed", [b"half an object"])
    store.backend.write_atomic("packs/.tmp-killed", [b"RPRPACK\x01half"])
    report = fsck(store)
    assert report.ok
    assert report.checked == 7
    assert report.leftovers == [
        "objects/.tmp-killed",
        "objects/ab/.tmp-killed",
        "packs/.tmp-killed",
    ]


def test_fsck_sees_packs_written_since_the_store_listed_them(
    store: ObjectStore, reopen: Callable[[], ObjectStore]
) -> None:
    checker = reopen()
    assert checker.packs() == []
    with store.batch() as batch:
        batch.add(b"new")
    assert fsck(checker).checked == 1


def test_progress_ticks_once_per_object(store: ObjectStore, make_blob: Blob) -> None:
    fill(store, make_blob)
    ticks: list[int] = []
    fsck(store, ticks.append)
    assert sum(ticks) == 7


def test_problem_reads_as_one_line() -> None:
    problem = FsckProblem("objects/ab/cd", "content hashes to 00", "abcd")
    assert str(problem) == "object abcd (objects/ab/cd): content hashes to 00"
    assert (
        str(FsckProblem("packs/x.pack", "pack file missing")) == "packs/x.pack: pack file missing"
    )


def test_damaged_pack_index_is_a_problem_not_a_crash(store: ObjectStore) -> None:
    with store.batch() as batch:
        batch.add(b"one")
    [pack_id] = store.pack_ids()
    index = f"packs/{pack_id}.idx"
    data = store.backend.read_bytes(index)
    store.backend.remove(index)
    store.backend.write_atomic(index, [data[:-5]])
    store.refresh()
    report = fsck(store)
    assert [(p.where, p.reason) for p in report.problems] == [
        (index, "pack index size does not match its count")
    ]
