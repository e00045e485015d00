"""Pack files and their indexes."""

from __future__ import annotations

import struct

import pytest
import xxhash
from store_testing import FileList

from repro.hashing import get_algorithm
from repro.store import Backend, ObjectStore, StoreFormatError
from repro.store.pack import INDEX_MAGIC, PACK_MAGIC, PackIndex, PackLocation, PackWriter

XXH3 = get_algorithm("xxh3-128")


def write_pack(backend: Backend, objects: list[bytes]) -> str:
    writer = PackWriter(backend, XXH3)
    for data in objects:
        writer.add(xxhash.xxh3_128_hexdigest(data), data)
    pack_id = writer.finish()
    assert pack_id is not None
    return pack_id


def load_index(backend: Backend, pack_id: str) -> PackIndex:
    return PackIndex(pack_id, backend.read_bytes(f"packs/{pack_id}.idx"))


def index_bytes(count: int, records: bytes = b"", magic: bytes = INDEX_MAGIC) -> bytes:
    return struct.pack(">8sHI", magic, 16, count) + records


def test_pack_holds_a_header_then_the_objects_back_to_back(backend: Backend) -> None:
    pack_id = write_pack(backend, [b"one", b"two"])
    assert backend.read_bytes(f"packs/{pack_id}.pack") == PACK_MAGIC + b"onetwo"


def test_pack_id_is_the_hash_of_its_index(backend: Backend) -> None:
    pack_id = write_pack(backend, [b"one", b"two"])
    assert xxhash.xxh3_128_hexdigest(backend.read_bytes(f"packs/{pack_id}.idx")) == pack_id


def test_index_finds_every_object(backend: Backend) -> None:
    objects = [f"object {i}".encode() for i in range(50)]
    index = load_index(backend, write_pack(backend, objects))
    for data in objects:
        location = index.find(xxhash.xxh3_128_hexdigest(data))
        assert location is not None
        assert backend.read_range(location.pack_path, location.offset, location.length) == data


@pytest.mark.parametrize("absent", ["0" * 32, "f" * 32, xxhash.xxh3_128_hexdigest(b"absent")])
def test_index_does_not_find_an_absent_object(backend: Backend, absent: str) -> None:
    index = load_index(backend, write_pack(backend, [f"o{i}".encode() for i in range(9)]))
    assert index.find(absent) is None


def test_index_lists_objects_sorted_by_id(backend: Backend) -> None:
    objects = [f"object {i}".encode() for i in range(10)]
    index = load_index(backend, write_pack(backend, objects))
    oids = [oid for oid, _ in index]
    assert oids == sorted(xxhash.xxh3_128_hexdigest(data) for data in objects)
    assert index.count == 10


def test_writer_adds_an_object_once(backend: Backend) -> None:
    writer = PackWriter(backend, XXH3)
    oid = xxhash.xxh3_128_hexdigest(b"same")
    writer.add(oid, b"same")
    writer.add(oid, b"same")
    assert (len(writer), writer.size) == (1, len(PACK_MAGIC) + 4)
    writer.abort()


def test_writing_the_same_pack_twice_is_a_no_op(backend: Backend, files: FileList) -> None:
    first = write_pack(backend, [b"a", b"b"])
    before = files()
    assert write_pack(backend, [b"a", b"b"]) == first
    assert files() == before


def test_empty_writer_commits_nothing(backend: Backend, files: FileList) -> None:
    assert PackWriter(backend, XXH3).finish() is None
    assert files() == set()


def test_aborted_writer_leaves_nothing(backend: Backend, files: FileList) -> None:
    writer = PackWriter(backend, XXH3)
    writer.add(xxhash.xxh3_128_hexdigest(b"x"), b"x")
    writer.abort()
    assert files() == set()


def test_location_names_its_pack_file() -> None:
    assert PackLocation("ab" * 16, 8, 3).pack_path == f"packs/{'ab' * 16}.pack"


def test_index_with_a_foreign_magic_asks_to_upgrade() -> None:
    with pytest.raises(
        StoreFormatError, match=r"packs/x\.idx: not a repro pack index \(upgrade repro\?\)"
    ):
        PackIndex("x", index_bytes(0, magic=b"RPRIDX\x00\x02"))


def test_truncated_index_header_is_refused() -> None:
    with pytest.raises(StoreFormatError, match="truncated pack index"):
        PackIndex("x", INDEX_MAGIC)


def test_index_shorter_than_its_count_is_refused() -> None:
    with pytest.raises(StoreFormatError, match="pack index size does not match its count"):
        PackIndex("x", index_bytes(2, b"\x00" * 32))


def test_store_with_a_damaged_index_says_which(store: ObjectStore) -> None:
    store.backend.write_atomic("packs/bad.pack", [PACK_MAGIC])
    store.backend.write_atomic("packs/bad.idx", [b"garbage, not an index"])
    with pytest.raises(StoreFormatError, match=r"packs/bad\.idx: not a repro pack index"):
        store.exists(xxhash.xxh3_128_hexdigest(b"anything"))


def test_an_index_that_does_not_hash_to_its_name_is_damage(store: ObjectStore) -> None:
    pack_id = write_pack(store.backend, [b"one", b"two"])
    data = bytearray(store.backend.read_bytes(f"packs/{pack_id}.idx"))
    data[-1] ^= 0xFF  # a length: still parses, points elsewhere
    store.backend.remove(f"packs/{pack_id}.idx")
    store.backend.write_atomic(f"packs/{pack_id}.idx", [bytes(data)])
    with pytest.raises(StoreFormatError, match="the pack index is damaged"):
        store.exists(xxhash.xxh3_128_hexdigest(b"one"))


def test_a_remote_store_skips_a_damaged_index_and_says_so(backend: Backend) -> None:
    pack_id = write_pack(backend, [b"one"])
    backend.remove(f"packs/{pack_id}.idx")
    backend.write_atomic(f"packs/{pack_id}.idx", [b"garbage, not an index"])
    store = ObjectStore(backend, "xxh3-128", skip_damaged=True)
    assert not store.exists(xxhash.xxh3_128_hexdigest(b"one"))
    assert "not a repro pack index" in store.damaged[pack_id]


def test_an_index_whose_pack_is_gone_holds_nothing(store: ObjectStore) -> None:
    pack_id = write_pack(store.backend, [b"one"])
    store.backend.remove(f"packs/{pack_id}.pack")
    assert not store.exists(xxhash.xxh3_128_hexdigest(b"one"))
