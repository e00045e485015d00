"""The content-addressed object store: it is handed ids and bytes, never paths.

Layout under the store root (one root per hash algorithm, so that ids of
different algorithms never share a namespace)::

    objects/ab/cdef...   loose objects, one file each (large ones)
    packs/<id>.pack      small objects back to back
    packs/<id>.idx       their sorted index

Every write is atomic and idempotent; nothing is rewritten in place. A tree
is written only after all its blobs, so a tree in the store implies its
blobs are there too (fsck checks it), and an unchanged snapshot needs to
look up only its tree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from repro.hashing import Algorithm, get_algorithm
from repro.store.backend import Backend, iter_chunks
from repro.store.errors import (
    CorruptObjectError,
    InvalidOidError,
    ObjectNotFoundError,
    StoreFormatError,
)
from repro.store.pack import PACK_DIR, PackIndex, PackLocation, PackWriter

__all__ = [
    "DEFAULT_PACK_SIZE",
    "DEFAULT_PACK_THRESHOLD",
    "OBJECTS_DIR",
    "Batch",
    "Location",
    "LooseLocation",
    "ObjectStore",
]

DEFAULT_PACK_THRESHOLD = 1 << 20
DEFAULT_PACK_SIZE = 128 << 20
OBJECTS_DIR = "objects"
_CHUNK = 1 << 20
_PREFIX = re.compile(r"[0-9a-f]{2}")
_INDEX_JOBS = 8
# Up to this many ids are looked up one by one; more, and one listing of
# the loose objects is cheaper than a request each.
_LOOK_EACH = 32


@dataclass(frozen=True)
class LooseLocation:
    path: str
    size: int | None = None  # known when found by a listing


Location = LooseLocation | PackLocation


class ObjectStore:
    def __init__(
        self,
        backend: Backend,
        algorithm: str | Algorithm,
        *,
        pack_threshold: int = DEFAULT_PACK_THRESHOLD,
        pack_size: int = DEFAULT_PACK_SIZE,
        index_cache: str | None = None,
        skip_damaged: bool = False,
    ) -> None:
        self.backend = backend
        self.algorithm = algorithm if isinstance(algorithm, Algorithm) else get_algorithm(algorithm)
        self.pack_threshold = pack_threshold
        self.pack_size = pack_size
        # A local folder keeping copies of a remote's pack indexes: a pack's
        # id is the hash of its index, so a kept copy never goes stale and
        # is checked against its name when read.
        self.index_cache = index_cache
        # A remote's damaged index must not stop every push and pull: its
        # objects count as absent (so a push sends them again), and the
        # damage is kept here for the caller to report.
        self.skip_damaged = skip_damaged
        self.damaged: dict[str, str] = {}
        self._packs: dict[str, PackIndex] | None = None
        self._packed: dict[str, PackIndex] = {}

    def __repr__(self) -> str:
        return f"ObjectStore({self.backend.root!r}, {self.algorithm.name!r})"

    # ids and places

    def validate(self, oid: str) -> str:
        """``oid`` itself, once it is known to be a well-formed id."""
        if not isinstance(oid, str) or not self.algorithm.is_valid_oid(oid):
            raise InvalidOidError(str(oid), self.algorithm.name)
        return oid

    def loose_path(self, oid: str) -> str:
        self.validate(oid)
        return f"{OBJECTS_DIR}/{oid[:2]}/{oid[2:]}"

    def packs(self) -> list[PackIndex]:
        if self._packs is None:
            self._packs = {}
            self._packed = {}
            self._load_new_packs()
        return list(self._packs.values())

    def pack_ids(self) -> list[str]:
        """The packs that have an index, as the store holds them now (an
        index whose pack is gone is damage: its objects are not there)."""
        names = set(self.backend.listdir(PACK_DIR))
        return [pack_id for pack_id in _indexed(names) if f"{pack_id}.pack" in names]

    def index_ids(self) -> list[str]:
        """Every pack index, its pack there or not (for fsck)."""
        return _indexed(set(self.backend.listdir(PACK_DIR)))

    def _load_new_packs(self) -> None:
        assert self._packs is not None
        names = set(self.pack_ids())
        if self._packs.keys() - names:  # a pack went away (gc): start over
            self._packs, self._packed = {}, {}
        new = sorted(names - self._packs.keys() - self.damaged.keys())
        if len(new) > 1 and self.backend.local_path("") is None:
            # A remote answers one index per request: ask for them side by side.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(_INDEX_JOBS) as pool:
                indexes = list(pool.map(self._load_or_skip, new))
            for index in indexes:
                if index is not None:
                    self._add_index(index)
            return
        for pack_id in new:
            index = self._load_or_skip(pack_id)
            if index is not None:
                self._add_index(index)

    def _load_or_skip(self, pack_id: str) -> PackIndex | None:
        try:
            return self.load_index(pack_id)
        except (StoreFormatError, FileNotFoundError) as exc:
            if not self.skip_damaged:
                raise
            self.damaged[pack_id] = str(exc)
            return None

    def load_index(self, pack_id: str) -> PackIndex:
        """A pack's index, checked: its id is the hash of its bytes."""
        cached = self._cached_index(pack_id)
        if cached is not None:
            return PackIndex(pack_id, cached)
        data = self.backend.read_bytes(f"{PACK_DIR}/{pack_id}.idx")
        index = PackIndex(pack_id, data)
        if self.algorithm.hexdigest(data) != pack_id:
            raise StoreFormatError(f"{PACK_DIR}/{pack_id}.idx", "the pack index is damaged")
        if self.index_cache is not None:
            from repro.atomic import write_atomic

            write_atomic(os.path.join(self.index_cache, f"{pack_id}.idx"), data)
        return index

    def _cached_index(self, pack_id: str) -> bytes | None:
        if self.index_cache is None or not self.algorithm.is_valid_oid(pack_id):
            return None
        try:
            with open(os.path.join(self.index_cache, f"{pack_id}.idx"), "rb") as file:
                data = file.read()
        except FileNotFoundError:
            return None
        return data if self.algorithm.hexdigest(data) == pack_id else None

    def refresh(self) -> None:
        """Read the indexes of packs other writers have added since the last look."""
        if self._packs is not None:
            self._load_new_packs()

    def add_pack(self, pack_id: str) -> None:
        """Make a pack this process has just committed visible to reads."""
        if self._packs is None or pack_id in self._packs:
            return
        self._add_index(self.load_index(pack_id))

    def _add_index(self, index: PackIndex) -> None:
        assert self._packs is not None
        self._packs[index.pack_id] = index
        # One dict over every pack: a batch of 100,000 new objects asks it
        # 100,000 times, and bisecting each pack's index per ask was the
        # largest cost of a cold snapshot.
        self._packed.update(dict.fromkeys(index.oids(), index))

    def _find_packed(self, oid: str) -> PackLocation | None:
        self.packs()
        index = self._packed.get(oid)
        return index.find(oid) if index is not None else None

    def locate(self, oid: str) -> Location:
        path = self.loose_path(oid)
        if self.backend.exists(path):
            return LooseLocation(path)
        location = self._find_packed(oid)
        if location is None:
            self.refresh()
            location = self._find_packed(oid)
        if location is None:
            raise ObjectNotFoundError(oid, self.backend.root)
        return location

    def _stored(self, oid: str) -> bool:
        # Loose first: trees and records are loose, and one stat is cheaper
        # than reading every pack index the first time.
        if self.backend.exists(self.loose_path(oid)):
            return True
        self.packs()
        return oid in self._packed

    def has(self, oid: str) -> bool:
        """``exists`` without looking for packs written since the last look:
        for many look-ups in a row, where a missed new pack costs only a
        duplicate write."""
        return self._stored(oid)

    def exists(self, oid: str) -> bool:
        if self._stored(oid):
            return True
        self.refresh()
        return oid in self._packed

    def missing(self, oids: Iterable[str]) -> set[str]:
        wanted = [self.validate(oid) for oid in oids]
        self.refresh()
        return {oid for oid in wanted if not self._stored(oid)}

    def present(self, oids: Iterable[str]) -> set[str]:
        """Which of ``oids`` the store holds: ``locate_many`` without
        finding where each one is."""
        wanted = {self.validate(oid) for oid in oids}
        self.refresh()
        self.packs()
        found = {oid for oid in wanted if oid in self._packed}
        return found | self._loose_among(wanted - found).keys()

    def locate_many(self, oids: Iterable[str]) -> dict[str, Location]:
        """Where each of ``oids`` is, for those the store holds, in a few
        requests: every pack index once, then either one listing of the
        loose objects or, for a handful, one look each."""
        wanted = {self.validate(oid) for oid in oids}
        self.refresh()
        self.packs()
        found: dict[str, Location] = {}
        for oid in wanted:
            index = self._packed.get(oid)
            location = index.find(oid) if index is not None else None
            if location is not None:
                found[oid] = location
        found.update(self._loose_among(wanted - found.keys()))
        return found

    def _loose_among(self, oids: set[str]) -> dict[str, LooseLocation]:
        if self.backend.local_path("") is not None or len(oids) <= 1:
            return {
                oid: LooseLocation(p)
                for oid in oids
                if self.backend.exists(p := self.loose_path(oid))
            }
        if len(oids) <= _LOOK_EACH:
            from concurrent.futures import ThreadPoolExecutor

            paths = {oid: self.loose_path(oid) for oid in oids}
            with ThreadPoolExecutor(_INDEX_JOBS) as pool:
                there = dict(zip(paths, pool.map(self.backend.exists, paths.values()), strict=True))
            return {oid: LooseLocation(paths[oid]) for oid, yes in there.items() if yes}
        found = {}
        for path, info in self.backend.list_files(OBJECTS_DIR).items():
            prefix, _, name = path.removeprefix(f"{OBJECTS_DIR}/").partition("/")
            if prefix + name in oids and "/" not in name:
                found[prefix + name] = LooseLocation(path, info.size)
        return found

    def is_packed(self, oid: str) -> bool:
        return self._find_packed(self.validate(oid)) is not None

    # reading

    def read(self, oid: str, *, verify: bool = True) -> bytes:
        location = self.locate(oid)
        if isinstance(location, LooseLocation):
            data = self.backend.read_bytes(location.path)
        else:
            data = self.backend.read_range(location.pack_path, location.offset, location.length)
        if verify:
            self.check(oid, data, location)
        return data

    def check(self, oid: str, data: bytes | memoryview, location: Location | None = None) -> None:
        actual = self.algorithm.hexdigest(data)
        if actual != oid:
            raise CorruptObjectError(oid, actual, _describe(location))

    def read_chunks(self, oid: str, *, verify: bool = True) -> Iterator[bytes]:
        """The object's bytes in chunks; with ``verify``, the last step raises
        ``CorruptObjectError`` if they do not hash to ``oid``, so a caller
        writing them must do so to a temp file it can discard."""
        location = self.locate(oid)
        if isinstance(location, PackLocation):
            yield self.read(oid, verify=verify)
            return
        hasher = self.algorithm.new()
        with self.backend.open_read(location.path) as file:
            for chunk in iter_chunks(file, _CHUNK):
                if verify:
                    hasher.update(chunk)
                yield chunk
        if verify and hasher.hexdigest() != oid:
            raise CorruptObjectError(oid, hasher.hexdigest(), location.path)

    def local_path(self, oid: str) -> str | None:
        """The loose object's file, for hard links and reflinks; None if packed."""
        location = self.locate(oid)
        if isinstance(location, LooseLocation):
            return self.backend.local_path(location.path)
        return None

    # writing

    def write(self, data: bytes) -> str:
        """Store ``data`` as its own object (loose) and return its id.

        Only the loose place is checked: reading every pack index to spot a
        packed copy costs more than writing one more file would.
        """
        oid = self.algorithm.hexdigest(data)
        path = self.loose_path(oid)
        if not self.backend.exists(path):
            self.backend.write_atomic(path, [data])
        return oid

    def write_stream(self, chunks: Iterable[bytes]) -> str:
        """Store a stream too large for memory, hashing it as it is written."""
        hasher = self.algorithm.new()
        pending = self.backend.begin_write(OBJECTS_DIR)
        try:
            for chunk in chunks:
                hasher.update(chunk)
                pending.write(chunk)
        except BaseException:
            pending.abort()
            raise
        oid = hasher.hexdigest()
        if self.backend.exists(self.loose_path(oid)):
            pending.abort()
        else:
            pending.commit(self.loose_path(oid))
        return oid

    def batch(self) -> Batch:
        return Batch(self)

    # listing

    def iter_loose(self) -> Iterator[str]:
        for prefix in sorted(self.backend.listdir(OBJECTS_DIR)):
            # Only the two-hex folders: ``objects/`` also holds the temp files
            # of streamed writes (a killed one is left behind), not folders.
            if _PREFIX.fullmatch(prefix) is None:
                continue
            for rest in sorted(self.backend.listdir(f"{OBJECTS_DIR}/{prefix}")):
                oid = prefix + rest
                if self.algorithm.is_valid_oid(oid):
                    yield oid

    def iter_packed(self) -> Iterator[tuple[str, PackLocation]]:
        for index in self.packs():
            yield from index

    def leftovers(self) -> list[str]:
        """Files that interrupted writes left: packs without an index and
        temp files. None of them is ever read as an object."""
        found = [f"{PACK_DIR}/{pack_id}.pack" for pack_id in self.orphan_packs()]
        folders = [OBJECTS_DIR, PACK_DIR]
        folders += [f"{OBJECTS_DIR}/{p}" for p in self.backend.listdir(OBJECTS_DIR) if len(p) == 2]
        for folder in folders:
            found += [
                f"{folder}/{n}" for n in self.backend.listdir(folder) if n.startswith(".tmp-")
            ]
        return sorted(found)

    def orphan_packs(self) -> list[str]:
        """Pack files with no index: writes that were interrupted."""
        names = self.backend.listdir(PACK_DIR)
        indexed = {n.removesuffix(".idx") for n in names if n.endswith(".idx")}
        packs = {n.removesuffix(".pack") for n in names if n.endswith(".pack")}
        return sorted(packs - indexed)


def _indexed(names: set[str]) -> list[str]:
    return sorted(name.removesuffix(".idx") for name in names if name.endswith(".idx"))


def _describe(location: Location | None) -> str:
    if isinstance(location, PackLocation):
        return f"in {location.pack_path} at offset {location.offset}"
    if isinstance(location, LooseLocation):
        return location.path
    return "as read"


class Batch:
    """Writes many objects at once: small ones into packs, large ones loose.

    Use as a context manager; packs become visible when it closes without
    an error (or when a pack fills up), never half-written.
    """

    def __init__(self, store: ObjectStore) -> None:
        self._store = store
        self._writer: PackWriter | None = None
        self.pack_ids: list[str] = []
        self.written = 0
        self._freshened: set[str] = set()

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def abort(self) -> None:
        """Drop the pack being filled; packs already committed stay."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def __contains__(self, oid: str) -> bool:
        """Whether this batch has taken ``oid`` into its pending pack."""
        return self._writer is not None and oid in self._writer

    def add(self, data: bytes | memoryview) -> str:
        oid = self._store.algorithm.hexdigest(data)
        self.add_known(oid, data)
        return oid

    def add_known(self, oid: str, data: bytes | memoryview) -> None:
        """Add ``data`` whose id the caller has just computed from it."""
        store = self._store
        if len(data) >= store.pack_threshold:
            if not store.backend.exists(store.loose_path(oid)):
                store.backend.write_atomic(store.loose_path(oid), [data])
                self.written += 1
            return
        writer = self._writer
        if writer is not None and oid in writer:
            return
        packed = store._find_packed(oid)
        if packed is not None:
            self._freshen(packed.pack_id)
            return
        if writer is None:
            writer = self._writer = PackWriter(store.backend, store.algorithm)
        writer.add(oid, data)
        self.written += 1
        if writer.size >= store.pack_size:
            self._flush()

    def _freshen(self, pack_id: str) -> None:
        if pack_id not in self._freshened:
            self._freshened.add(pack_id)
            self._store.backend.touch(f"{PACK_DIR}/{pack_id}.pack")
            self._store.backend.touch(f"{PACK_DIR}/{pack_id}.idx")

    def _flush(self) -> None:
        if self._writer is not None:
            pack_id = self._writer.finish()
            self._writer = None
            if pack_id is not None:
                self.pack_ids.append(pack_id)
                self._store.add_pack(pack_id)

    def close(self) -> None:
        self._flush()
