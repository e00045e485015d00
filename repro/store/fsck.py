"""fsck: re-hash every object (or a random sample of them) and name each
that is wrong or missing. Every object read is checked against its id, so
a damaged object on a remote is reported by id, never admitted or mended."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from repro.errors import ReproError
from repro.store.errors import StoreFormatError
from repro.store.objects import OBJECTS_DIR, ObjectStore
from repro.store.pack import PACK_DIR, PackIndex, PackLocation
from repro.store.tree import Tree
from repro.store.trees import is_tree_bytes

__all__ = ["FsckProblem", "FsckReport", "fsck"]

Progress = Callable[[int], None]


@dataclass(frozen=True)
class FsckProblem:
    where: str
    reason: str
    oid: str | None = None

    def __str__(self) -> str:
        subject = f"object {self.oid} ({self.where})" if self.oid else self.where
        return f"{subject}: {self.reason}"


@dataclass
class FsckReport:
    checked: int = 0
    trees: int = 0
    problems: list[FsckProblem] = field(default_factory=list)
    # Files of interrupted writes: never objects, harmless, safe to delete.
    leftovers: list[str] = field(default_factory=list)
    sample: int | None = None  # at most this many loose and this many packed objects read
    total: int | None = None  # objects in the store, counted when sampling

    @property
    def ok(self) -> bool:
        return not self.problems


def fsck(
    store: ObjectStore,
    progress: Progress | None = None,
    *,
    sample: int | None = None,
    seed: int | str | None = None,
) -> FsckReport:
    """Check every object, or with ``sample`` at most ``sample`` loose and
    ``sample`` packed objects drawn at random (``seed`` repeats a draw).
    Trees among the checked objects are checked for their blobs' presence."""
    if sample is not None:
        return _fsck_sample(store, progress, sample, random.Random(seed))
    report = FsckReport()
    trees: list[tuple[str, bytes]] = []
    present: set[str] = set()
    for oid in store.iter_loose():
        where = store.loose_path(oid)
        _check_object(store, report, oid, store.backend.read_bytes(where), where, trees)
        present.add(oid)
        _tick(progress)
    for index in _readable_indexes(store, report):
        _check_pack(store, report, index, trees, progress)
        present.update(index.oids())
    report.leftovers = store.leftovers()
    _check_trees(store, report, trees, present)
    return report


def _check_trees(
    store: ObjectStore, report: FsckReport, trees: list[tuple[str, bytes]], present: set[str]
) -> None:
    if trees and any(problem.where.endswith(".idx") for problem in report.problems):
        # Already reported; without every index, blobs cannot be found.
        report.problems.append(FsckProblem("trees", "not checked: a pack index is damaged"))
        return
    for oid, data in trees:
        _check_tree(store, report, oid, data, present)


def _fsck_sample(
    store: ObjectStore, progress: Progress | None, sample: int, rng: random.Random
) -> FsckReport:
    """A random sample, found through one listing of the loose objects and
    the pack indexes (a few requests on a remote, not one per object)."""
    report = FsckReport(sample=sample)
    objects = store.backend.list_files(OBJECTS_DIR)
    loose = _loose_objects(store, objects)
    packed = [entry for index in _readable_indexes(store, report) for entry in index]
    report.total = len(loose) + len(packed)
    trees: list[tuple[str, bytes]] = []
    for oid in rng.sample(sorted(loose), min(sample, len(loose))):
        _check_loose(store, report, oid, loose[oid], trees)
        _tick(progress)
    for oid, location in rng.sample(packed, min(sample, len(packed))):
        _check_packed(store, report, oid, location, trees)
        _tick(progress)
    report.leftovers = _leftovers(objects, store.backend.list_files(PACK_DIR))
    _check_trees(store, report, trees, set(loose) | {oid for oid, _ in packed})
    return report


def _loose_objects(store: ObjectStore, listing: Iterable[str]) -> dict[str, str]:
    """Object id -> path, for the loose objects of a listing of ``objects/``."""
    found = {}
    for path in listing:
        parts = path.split("/")
        if (
            len(parts) == 3
            and len(parts[1]) == 2
            and store.algorithm.is_valid_oid(parts[1] + parts[2])
        ):
            found[parts[1] + parts[2]] = path
    return found


def _leftovers(objects: Iterable[str], packs: Iterable[str]) -> list[str]:
    packs = list(packs)
    found = [path for path in [*objects, *packs] if path.rsplit("/", 1)[-1].startswith(".tmp-")]
    indexed = {path.removesuffix(".idx") for path in packs if path.endswith(".idx")}
    found += [p for p in packs if p.endswith(".pack") and p.removesuffix(".pack") not in indexed]
    return sorted(found)


def _check_loose(
    store: ObjectStore, report: FsckReport, oid: str, where: str, trees: list[tuple[str, bytes]]
) -> None:
    try:
        data = store.backend.read_bytes(where)
    except FileNotFoundError:
        return  # removed since the listing (gc): nothing to check
    _check_object(store, report, oid, data, where, trees)


def _check_packed(
    store: ObjectStore,
    report: FsckReport,
    oid: str,
    location: PackLocation,
    trees: list[tuple[str, bytes]],
) -> None:
    path = location.pack_path
    try:
        chunk = store.backend.read_range(path, location.offset, location.length)
    except FileNotFoundError:
        report.problems.append(FsckProblem(path, "pack file missing", oid))
        return
    if len(chunk) != location.length:
        report.problems.append(FsckProblem(path, "truncated in the pack", oid))
    else:
        _check_object(store, report, oid, chunk, path, trees)


def _readable_indexes(store: ObjectStore, report: FsckReport) -> list[PackIndex]:
    """Every pack index, read one by one so that a damaged one is reported
    (and its pack's objects counted missing) instead of stopping the check."""
    indexes = []
    for pack_id in store.index_ids():
        try:
            indexes.append(store.load_index(pack_id))
        except StoreFormatError as exc:
            report.problems.append(FsckProblem(exc.where, exc.reason))
    return indexes


def _tick(progress: Progress | None) -> None:
    if progress is not None:
        progress(1)


def _check_object(
    store: ObjectStore,
    report: FsckReport,
    oid: str,
    data: bytes,
    where: str,
    trees: list[tuple[str, bytes]],
) -> None:
    report.checked += 1
    actual = store.algorithm.hexdigest(data)
    if actual != oid:
        report.problems.append(FsckProblem(where, f"content hashes to {actual}", oid))
    elif is_tree_bytes(data):
        trees.append((oid, data))


def _check_pack(
    store: ObjectStore,
    report: FsckReport,
    index: PackIndex,
    trees: list[tuple[str, bytes]],
    progress: Progress | None,
) -> None:
    path = f"packs/{index.pack_id}.pack"
    try:
        pack = store.backend.read_bytes(path)
    except FileNotFoundError:
        report.problems.append(FsckProblem(path, "pack file missing"))
        return
    for oid, location in index:
        chunk = pack[location.offset : location.offset + location.length]
        if len(chunk) != location.length:
            report.problems.append(FsckProblem(path, "truncated in the pack", oid))
        else:
            _check_object(store, report, oid, chunk, path, trees)
        _tick(progress)


def _check_tree(
    store: ObjectStore, report: FsckReport, oid: str, data: bytes, present: set[str]
) -> None:
    report.trees += 1
    try:
        tree = Tree.from_bytes(data, oid)
    except ReproError as exc:
        report.problems.append(FsckProblem("tree", str(exc), oid))
        return
    if tree.algorithm != store.algorithm.name:  # its blob ids are not ids of this store
        reason = f"lists {tree.algorithm} ids in a {store.algorithm.name} store"
        report.problems.append(FsckProblem("tree", reason, oid))
        return
    missing = {entry.oid for entry in tree.entries} - present
    for blob in sorted(missing):
        report.problems.append(FsckProblem("tree", f"lists blob {blob}, which is missing", oid))
