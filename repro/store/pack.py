"""Pack files: many small objects in one file, found through an index.

Creating a file costs 0.1-0.7 ms on these disks and a remote request far
more, so objects under the pack threshold travel together. A pack is
``packs/<pack-id>.pack`` (a header, then the objects' bytes back to back)
plus ``packs/<pack-id>.idx`` (a header, then fixed-width records sorted by
oid: raw digest, offset, length). The ``.pack`` is committed first and the
``.idx`` last, so a reader that sees an index always finds its pack; a pack
without an index is an interrupted write that fsck reports and gc removes.
The pack id is the hash of the index, so writing the same pack twice is a
no-op.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from repro.hashing import Algorithm
from repro.store.backend import Backend, PendingWrite
from repro.store.errors import StoreFormatError

__all__ = ["PACK_DIR", "PackIndex", "PackLocation", "PackWriter"]

PACK_DIR = "packs"
PACK_MAGIC = b"RPRPACK\x01"
INDEX_MAGIC = b"RPRIDX\x00\x01"
_INDEX_HEADER = struct.Struct(">8sHI")  # magic, digest size, count
_POSITION = struct.Struct(">QQ")  # offset, length


@dataclass(frozen=True)
class PackLocation:
    pack_id: str
    offset: int
    length: int

    @property
    def pack_path(self) -> str:
        return f"{PACK_DIR}/{self.pack_id}.pack"


class PackIndex:
    """One pack's index, searched in place by bisection (no dict to build)."""

    def __init__(self, pack_id: str, data: bytes) -> None:
        _magic, digest_size, count = _unpack_header(pack_id, data)
        self.pack_id = pack_id
        self._data = data
        self._digest_size = digest_size
        self._record = digest_size + _POSITION.size
        self.count = count

    def _digest_at(self, index: int) -> bytes:
        start = _INDEX_HEADER.size + index * self._record
        return self._data[start : start + self._digest_size]

    def find(self, oid: str) -> PackLocation | None:
        digest = bytes.fromhex(oid)
        low = self._first_not_below(digest)
        if low < self.count and self._digest_at(low) == digest:
            return self._location(low)
        return None

    def with_prefix(self, prefix: str) -> Iterator[str]:
        """The ids in this pack that start with ``prefix`` (lowercase hex,
        validated by the caller), found by bisection, not by a scan."""
        # The smallest id with the prefix is the prefix padded with zeros:
        # from there on, the ids that have it come first.
        index = self._first_not_below(bytes.fromhex(prefix + "0" * (len(prefix) % 2)))
        while index < self.count:
            oid = self._digest_at(index).hex()
            if not oid.startswith(prefix):
                return
            yield oid
            index += 1

    def _first_not_below(self, digest: bytes) -> int:
        """The position of the first id not below ``digest``."""
        low, high = 0, self.count
        while low < high:
            mid = (low + high) // 2
            if self._digest_at(mid) < digest:
                low = mid + 1
            else:
                high = mid
        return low

    def _location(self, index: int) -> PackLocation:
        start = _INDEX_HEADER.size + index * self._record + self._digest_size
        offset, length = _POSITION.unpack_from(self._data, start)
        return PackLocation(self.pack_id, offset, length)

    def oids(self) -> Iterator[str]:
        for index in range(self.count):
            yield self._digest_at(index).hex()

    def __iter__(self) -> Iterator[tuple[str, PackLocation]]:
        for index in range(self.count):
            yield self._digest_at(index).hex(), self._location(index)


def _unpack_header(pack_id: str, data: bytes) -> tuple[bytes, int, int]:
    where = f"{PACK_DIR}/{pack_id}.idx"
    if len(data) < _INDEX_HEADER.size:
        raise StoreFormatError(where, "truncated pack index")
    magic, digest_size, count = _INDEX_HEADER.unpack_from(data)
    if magic != INDEX_MAGIC:
        raise StoreFormatError(where, "not a repro pack index (upgrade repro?)")
    if len(data) != _INDEX_HEADER.size + count * (digest_size + _POSITION.size):
        raise StoreFormatError(where, "pack index size does not match its count")
    return magic, digest_size, count


class PackWriter:
    """Appends objects to one pack; ``finish`` commits pack then index."""

    def __init__(self, backend: Backend, algorithm: Algorithm) -> None:
        self._backend = backend
        self._algorithm = algorithm
        self._pending: PendingWrite = backend.begin_write(PACK_DIR)
        self._pending.write(PACK_MAGIC)
        self._offset = len(PACK_MAGIC)
        self._entries: dict[str, tuple[int, int]] = {}

    @property
    def size(self) -> int:
        return self._offset

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, oid: str) -> bool:
        return oid in self._entries

    def add(self, oid: str, data: bytes | memoryview) -> None:
        if oid in self._entries:
            return
        self._pending.write(data)
        self._entries[oid] = (self._offset, len(data))
        self._offset += len(data)

    def abort(self) -> None:
        self._pending.abort()

    def finish(self) -> str | None:
        """Commit the pack; returns its id, or None when it holds nothing."""
        if not self._entries:
            self._pending.abort()
            return None
        index = self._index_bytes()
        pack_id = self._algorithm.hexdigest(index)
        self._pending.commit(f"{PACK_DIR}/{pack_id}.pack")
        self._backend.write_atomic(f"{PACK_DIR}/{pack_id}.idx", [index])
        return pack_id

    def _index_bytes(self) -> bytes:
        digest_size = self._algorithm.hex_length // 2
        parts = [_INDEX_HEADER.pack(INDEX_MAGIC, digest_size, len(self._entries))]
        for oid in sorted(self._entries):
            offset, length = self._entries[oid]
            parts.append(bytes.fromhex(oid) + _POSITION.pack(offset, length))
        return b"".join(parts)
