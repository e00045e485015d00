"""The object store's contract, run on every backend (local folder, fsspec memory)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import xxhash
from store_testing import PACK_THRESHOLD, FileList, RecordingBackend

from repro.store import (
    Backend,
    CorruptObjectError,
    InvalidOidError,
    LocalBackend,
    ObjectNotFoundError,
    ObjectStore,
)
from repro.store.objects import LooseLocation
from repro.store.pack import PackLocation

Blob = Callable[..., bytes]
Flip = Callable[[str, int], None]


def pack_files(files: FileList) -> list[str]:
    return sorted(name for name in files() if name.startswith("packs/"))


def loose_files(files: FileList) -> list[str]:
    return sorted(name for name in files() if name.startswith("objects/"))


# write, read, exists, locate


def test_write_returns_the_content_hash(store: ObjectStore) -> None:
    assert store.write(b"hello") == xxhash.xxh3_128_hexdigest(b"hello")


def test_read_returns_the_written_bytes(store: ObjectStore, make_blob: Blob) -> None:
    data = make_blob(5000)
    assert store.read(store.write(data)) == data


def test_exists_only_after_write(store: ObjectStore) -> None:
    oid = xxhash.xxh3_128_hexdigest(b"later")
    assert not store.exists(oid)
    store.write(b"later")
    assert store.exists(oid)


def test_write_puts_the_object_loose_under_its_id(store: ObjectStore, files: FileList) -> None:
    oid = store.write(b"loose")
    path = f"objects/{oid[:2]}/{oid[2:]}"
    assert files() == {path}
    assert store.locate(oid) == LooseLocation(path)


def test_writing_the_same_bytes_twice_adds_no_file(store: ObjectStore, files: FileList) -> None:
    store.write(b"twice")
    before = files()
    store.write(b"twice")
    assert files() == before


def test_write_stream_stores_under_the_same_id_as_write(
    store: ObjectStore, make_blob: Blob
) -> None:
    data = make_blob(3000)
    oid = store.write_stream([data[:1000], data[1000:2500], data[2500:]])
    assert oid == store.algorithm.hexdigest(data)
    assert store.read(oid) == data


def test_write_stream_of_a_stored_object_adds_no_file(
    store: ObjectStore, files: FileList, make_blob: Blob
) -> None:
    data = make_blob(3000)
    store.write(data)
    before = files()
    store.write_stream([data[:100], data[100:]])
    assert files() == before


def test_write_stream_that_fails_leaves_nothing(store: ObjectStore, files: FileList) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"first part"
        raise RuntimeError("source went away")

    with pytest.raises(RuntimeError, match="source went away"):
        store.write_stream(chunks())
    assert files() == set()


def test_missing_lists_only_absent_objects(store: ObjectStore) -> None:
    present = store.write(b"present")
    absent = xxhash.xxh3_128_hexdigest(b"absent")
    assert store.missing([present, absent]) == {absent}


def test_read_of_a_missing_object_raises(store: ObjectStore) -> None:
    oid = xxhash.xxh3_128_hexdigest(b"never written")
    with pytest.raises(ObjectNotFoundError, match=f"object {oid} is not in the store at "):
        store.read(oid)


def test_locate_of_a_missing_object_raises(store: ObjectStore) -> None:
    oid = xxhash.xxh3_128_hexdigest(b"never written")
    with pytest.raises(ObjectNotFoundError, match=f"object {oid} is not in the store"):
        store.locate(oid)


def test_missing_object_error_is_a_file_not_found_error(store: ObjectStore) -> None:
    with pytest.raises(FileNotFoundError, match="is not in the store"):
        store.read(xxhash.xxh3_128_hexdigest(b"never written"))


# batches and packs


def test_batch_puts_small_objects_in_one_pack(store: ObjectStore, files: FileList) -> None:
    with store.batch() as batch:
        oids = [batch.add(f"small {i}".encode()) for i in range(20)]
    names = pack_files(files)
    assert len(names) == 2
    assert names[0].endswith(".idx") and names[1].endswith(".pack")
    assert names[0].removesuffix(".idx") == names[1].removesuffix(".pack")
    assert loose_files(files) == []
    assert all(store.is_packed(oid) for oid in oids)


def test_batch_objects_read_back(store: ObjectStore) -> None:
    with store.batch() as batch:
        oids = {batch.add(f"small {i}".encode()): f"small {i}".encode() for i in range(20)}
    assert {oid: store.read(oid) for oid in oids} == oids


def test_batch_locates_packed_objects_in_their_pack(store: ObjectStore) -> None:
    with store.batch() as batch:
        first = batch.add(b"first")
        second = batch.add(b"second!")
    locations = [store.locate(first), store.locate(second)]
    assert all(isinstance(location, PackLocation) for location in locations)
    spans = {(loc.offset, loc.length) for loc in locations if isinstance(loc, PackLocation)}
    assert spans == {(8, 5), (13, 7)}  # after the 8-byte pack header


def test_batch_writes_objects_at_the_threshold_loose(
    store: ObjectStore, files: FileList, make_blob: Blob
) -> None:
    with store.batch() as batch:
        oid = batch.add(make_blob(PACK_THRESHOLD))
    assert loose_files(files) == [f"objects/{oid[:2]}/{oid[2:]}"]
    assert pack_files(files) == []
    assert not store.is_packed(oid)


def test_batch_packs_objects_just_under_the_threshold(
    store: ObjectStore, files: FileList, make_blob: Blob
) -> None:
    with store.batch() as batch:
        oid = batch.add(make_blob(PACK_THRESHOLD - 1))
    assert loose_files(files) == []
    assert store.is_packed(oid)


def test_batch_mixes_loose_and_packed(store: ObjectStore, make_blob: Blob) -> None:
    with store.batch() as batch:
        big = batch.add(make_blob(3 * PACK_THRESHOLD))
        small = batch.add(b"small")
    assert (store.is_packed(big), store.is_packed(small)) == (False, True)
    assert batch.written == 2


def test_batch_rolls_over_to_a_new_pack_when_full(backend: Backend, make_blob: Blob) -> None:
    store = ObjectStore(backend, "xxh3-128", pack_threshold=PACK_THRESHOLD, pack_size=2000)
    with store.batch() as batch:
        oids = [batch.add(make_blob(600, seed=i)) for i in range(10)]
    # 8-byte header + 600 per object: the pack reaches 2000 at its 4th object.
    assert sorted(index.count for index in store.packs()) == [2, 4, 4]
    assert len(batch.pack_ids) == 3
    assert all(store.read(oid) == make_blob(600, seed=i) for i, oid in enumerate(oids))


def test_full_pack_is_visible_before_the_batch_closes(backend: Backend, make_blob: Blob) -> None:
    store = ObjectStore(backend, "xxh3-128", pack_threshold=PACK_THRESHOLD, pack_size=2000)
    with store.batch() as batch:
        oids = [batch.add(make_blob(600, seed=i)) for i in range(5)]
        assert [store.exists(oid) for oid in oids] == [True] * 4 + [False]


def test_batch_dedupes_within_itself(store: ObjectStore) -> None:
    with store.batch() as batch:
        first = batch.add(b"same")
        second = batch.add(b"same")
    assert first == second
    assert batch.written == 1
    assert [index.count for index in store.packs()] == [1]


def test_batch_dedupes_against_existing_packs(store: ObjectStore, files: FileList) -> None:
    with store.batch() as batch:
        batch.add(b"kept")
    before = files()
    with store.batch() as again:
        again.add(b"kept")
    assert (again.written, again.pack_ids) == (0, [])
    assert files() == before


def test_batch_dedupes_large_objects_already_loose(
    store: ObjectStore, files: FileList, make_blob: Blob
) -> None:
    data = make_blob(2 * PACK_THRESHOLD)
    store.write(data)
    before = files()
    with store.batch() as batch:
        batch.add(data)
    assert batch.written == 0
    assert files() == before


def test_batch_that_raises_writes_no_pack(store: ObjectStore, files: FileList) -> None:
    with pytest.raises(RuntimeError, match="stop"), store.batch() as batch:
        oid = batch.add(b"abandoned")
        raise RuntimeError("stop")
    assert pack_files(files) == []
    assert not store.exists(oid)


def test_empty_batch_writes_nothing(store: ObjectStore, files: FileList) -> None:
    with store.batch() as batch:
        pass
    assert batch.pack_ids == []
    assert files() == set()


# verification


def test_read_detects_a_flipped_byte_in_a_loose_object(
    store: ObjectStore, flip_byte: Flip, make_blob: Blob
) -> None:
    oid = store.write(make_blob(2000))
    flip_byte(store.loose_path(oid), 1000)
    with pytest.raises(CorruptObjectError, match=f"object {oid} is corrupt: .*run 'repro fsck'"):
        store.read(oid)


def test_read_without_verify_returns_the_damaged_bytes(
    store: ObjectStore, flip_byte: Flip, make_blob: Blob
) -> None:
    data = make_blob(2000)
    oid = store.write(data)
    flip_byte(store.loose_path(oid), 1000)
    damaged = store.read(oid, verify=False)
    assert len(damaged) == len(data) and damaged != data


def test_read_detects_a_flipped_byte_in_a_packed_object(
    store: ObjectStore, flip_byte: Flip
) -> None:
    with store.batch() as batch:
        batch.add(b"neighbour")
        oid = batch.add(b"victim")
    location = store.locate(oid)
    assert isinstance(location, PackLocation)
    flip_byte(location.pack_path, location.offset + 2)
    pattern = (
        rf"object {oid} is corrupt: .* \(in {location.pack_path} at offset {location.offset}\)"
    )
    with pytest.raises(CorruptObjectError, match=pattern):
        store.read(oid)


def test_damage_to_one_packed_object_spares_its_neighbours(
    store: ObjectStore, flip_byte: Flip
) -> None:
    with store.batch() as batch:
        neighbour = batch.add(b"neighbour")
        oid = batch.add(b"victim")
    location = store.locate(oid)
    assert isinstance(location, PackLocation)
    flip_byte(location.pack_path, location.offset)
    assert store.read(neighbour) == b"neighbour"


def test_read_chunks_returns_the_object(store: ObjectStore, make_blob: Blob) -> None:
    data = make_blob(3 << 20)  # several 1 MiB chunks
    oid = store.write(data)
    chunks = list(store.read_chunks(oid))
    assert len(chunks) == 3
    assert b"".join(chunks) == data


def test_read_chunks_detects_a_flipped_byte_in_a_loose_object(
    store: ObjectStore, flip_byte: Flip, make_blob: Blob
) -> None:
    oid = store.write(make_blob(3000))
    flip_byte(store.loose_path(oid), 0)
    with pytest.raises(CorruptObjectError, match=f"object {oid} is corrupt"):
        b"".join(store.read_chunks(oid))


def test_read_chunks_detects_a_flipped_byte_in_a_packed_object(
    store: ObjectStore, flip_byte: Flip
) -> None:
    with store.batch() as batch:
        oid = batch.add(b"packed and damaged")
    location = store.locate(oid)
    assert isinstance(location, PackLocation)
    flip_byte(location.pack_path, location.offset)
    with pytest.raises(CorruptObjectError, match=f"object {oid} is corrupt"):
        b"".join(store.read_chunks(oid))


def test_read_chunks_without_verify_returns_the_damaged_bytes(
    store: ObjectStore, flip_byte: Flip, make_blob: Blob
) -> None:
    data = make_blob(3000)
    oid = store.write(data)
    flip_byte(store.loose_path(oid), 0)
    assert b"".join(store.read_chunks(oid, verify=False))[1:] == data[1:]


def test_check_rejects_bytes_of_another_object(store: ObjectStore) -> None:
    oid = xxhash.xxh3_128_hexdigest(b"expected")
    actual = xxhash.xxh3_128_hexdigest(b"got")
    with pytest.raises(CorruptObjectError, match=f"hashes to {actual} \\(as read\\)"):
        store.check(oid, b"got")


# ids are validated before any path is built

BAD_OIDS = [
    "../../etc/passwd",
    "../../../../../../../../../../etc/passwd",  # 40 characters
    "ab/" + "c" * 29,  # 32 characters with a slash
    "ab/../../" + "c" * 23,
    "/" + "a" * 31,
    "A" * 32,
    "0123456789ABCDEF0123456789abcdef",
    "g" * 32,
    "a" * 31,
    "a" * 33,
    "",
    "a" * 31 + "\n",
    " " + "a" * 31,
    "a" * 30 + "\x00a",
    "\u0660" * 32,  # Arabic-Indic digit zero: \d would match it
]

OPERATIONS: dict[str, Callable[[ObjectStore, str], object]] = {
    "read": lambda store, oid: store.read(oid),
    "read_chunks": lambda store, oid: list(store.read_chunks(oid)),
    "exists": lambda store, oid: store.exists(oid),
    "locate": lambda store, oid: store.locate(oid),
    "local_path": lambda store, oid: store.local_path(oid),
    "is_packed": lambda store, oid: store.is_packed(oid),
    "loose_path": lambda store, oid: store.loose_path(oid),
    "missing": lambda store, oid: store.missing([oid]),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("oid", BAD_OIDS)
def test_invalid_oid_is_refused_before_the_backend_is_touched(
    recording: RecordingBackend, oid: str, operation: str
) -> None:
    store = ObjectStore(recording, "xxh3-128")
    with pytest.raises(InvalidOidError, match="is not a valid xxh3-128 object id"):
        OPERATIONS[operation](store, oid)
    assert recording.calls == []


def test_invalid_oid_error_names_the_id(store: ObjectStore) -> None:
    with pytest.raises(InvalidOidError, match=r"^'\.\./\.\./etc/passwd' is not a valid"):
        store.read("../../etc/passwd")


def test_traversal_id_cannot_reach_a_file_outside_the_store(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"outside")
    store = ObjectStore(LocalBackend(str(tmp_path / "store")), "xxh3-128")
    store.write(b"makes objects/ exist")
    oid = "../" + "./" * 10 + "../secret"  # as long as a real id
    naive = tmp_path / "store" / f"objects/{oid[:2]}/{oid[2:]}"
    assert len(oid) == 32 and naive.read_bytes() == b"outside"
    with pytest.raises(InvalidOidError, match="not a valid"):
        store.read(oid)


def test_id_of_another_algorithm_is_refused(backend: Backend) -> None:
    store = ObjectStore(backend, "sha256")
    with pytest.raises(InvalidOidError, match="not a valid sha256 object id"):
        store.exists(xxhash.xxh3_128_hexdigest(b"x"))


# listing


def test_iter_loose_lists_loose_objects_in_order(store: ObjectStore) -> None:
    oids = [store.write(f"loose {i}".encode()) for i in range(5)]
    with store.batch() as batch:
        batch.add(b"packed")
    assert list(store.iter_loose()) == sorted(oids)


def test_iter_packed_lists_packed_objects(store: ObjectStore) -> None:
    store.write(b"loose")
    with store.batch() as batch:
        oids = {batch.add(f"packed {i}".encode()) for i in range(5)}
    assert {oid for oid, _ in store.iter_packed()} == oids


def test_iter_loose_skips_files_that_are_not_objects(store: ObjectStore) -> None:
    oid = store.write(b"real")
    backend = store.backend
    backend.write_atomic("objects/.tmp-leftover", [b"partial"])
    backend.write_atomic(f"objects/{oid[:2]}/.tmp-leftover", [b"partial"])
    backend.write_atomic("objects/README", [b"not an object"])
    assert list(store.iter_loose()) == [oid]


def test_orphan_packs_lists_packs_without_an_index(store: ObjectStore) -> None:
    with store.batch() as batch:
        batch.add(b"indexed")
    orphan = "f" * 32
    store.backend.write_atomic(f"packs/{orphan}.pack", [b"RPRPACK\x01interrupted"])
    assert store.orphan_packs() == [orphan]


def test_objects_of_an_orphan_pack_do_not_exist(store: ObjectStore) -> None:
    data = b"only in an orphan pack"
    oid = xxhash.xxh3_128_hexdigest(data)
    store.backend.write_atomic(f"packs/{'e' * 32}.pack", [b"RPRPACK\x01", data])
    assert not store.exists(oid)
    with pytest.raises(ObjectNotFoundError, match=oid):
        store.read(oid)


# several stores on one root


def test_second_store_reads_a_pack_written_after_it_listed_packs(
    store: ObjectStore, reopen: Callable[[], ObjectStore]
) -> None:
    other = reopen()
    assert other.packs() == []
    with store.batch() as batch:
        oid = batch.add(b"written by the first")
    assert other.read(oid) == b"written by the first"


def test_second_store_sees_new_packs_after_refresh(
    store: ObjectStore, reopen: Callable[[], ObjectStore]
) -> None:
    other = reopen()
    other.packs()
    with store.batch() as batch:
        oid = batch.add(b"written by the first")
    other.refresh()
    assert other.exists(oid)


def test_local_path_is_none_for_a_packed_object(store: ObjectStore) -> None:
    with store.batch() as batch:
        oid = batch.add(b"packed")
    assert store.local_path(oid) is None


# the local folder


def test_local_path_of_a_loose_object_is_its_file(local_store: ObjectStore) -> None:
    oid = local_store.write(b"link me")
    path = local_store.local_path(oid)
    assert path is not None
    with open(path, "rb") as file:
        assert file.read() == b"link me"


def test_loose_objects_are_read_only(local_store: ObjectStore) -> None:
    oid = local_store.write(b"frozen")
    path = local_store.local_path(oid)
    assert path is not None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444


def test_packs_and_indexes_are_read_only(local_store: ObjectStore) -> None:
    with local_store.batch() as batch:
        batch.add(b"frozen")
    assert isinstance(local_store.backend, LocalBackend)
    folder = os.path.join(local_store.backend.root, "packs")
    modes = {
        name: stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)
        for name in os.listdir(folder)
    }
    assert len(modes) == 2
    assert set(modes.values()) == {0o444}


def test_writing_a_stored_object_again_leaves_its_file_untouched(local_store: ObjectStore) -> None:
    oid = local_store.write(b"once")
    path = local_store.local_path(oid)
    assert path is not None
    before = os.stat(path)
    local_store.write(b"once")
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_only_a_local_backend_gives_a_local_path(store: ObjectStore) -> None:
    oid = store.write(b"where")
    assert (store.local_path(oid) is None) == (not isinstance(store.backend, LocalBackend))


def test_a_batch_finding_an_object_packed_freshens_its_pack(local_store: ObjectStore) -> None:
    """A gc's grace period must spare the pack of an object a writer relied on."""
    with local_store.batch() as batch:
        batch.add(b"small and packed")
    (pack_id,) = local_store.pack_ids()
    pack = local_store.backend.local_path(f"packs/{pack_id}.pack")
    assert pack is not None
    os.utime(pack, (1, 1))
    with local_store.batch() as batch:
        batch.add(b"small and packed")
    assert os.stat(pack).st_mtime > 1
