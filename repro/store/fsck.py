"""fsck: re-hash every object and name each that is wrong or missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from repro.errors import ReproError
from repro.store.errors import StoreFormatError
from repro.store.objects import ObjectStore
from repro.store.pack import PackIndex
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

    @property
    def ok(self) -> bool:
        return not self.problems


def fsck(store: ObjectStore, progress: Progress | None = None) -> FsckReport:
    report = FsckReport()
    trees: list[tuple[str, bytes]] = []
    for oid in store.iter_loose():
        where = store.loose_path(oid)
        _check_object(store, report, oid, store.backend.read_bytes(where), where, trees)
        _tick(progress)
    for index in _readable_indexes(store, report):
        _check_pack(store, report, index, trees, progress)
    report.leftovers = store.leftovers()
    try:
        for oid, data in trees:
            _check_tree(store, report, oid, data)
    except StoreFormatError:
        # Already reported above; without every index, blobs cannot be found.
        report.problems.append(FsckProblem("trees", "not checked: a pack index is damaged"))
    return report


def _readable_indexes(store: ObjectStore, report: FsckReport) -> list[PackIndex]:
    """Every pack index, read one by one so that a damaged one is reported
    (and its pack's objects counted missing) instead of stopping the check."""
    indexes = []
    for pack_id in store.pack_ids():
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


def _check_tree(store: ObjectStore, report: FsckReport, oid: str, data: bytes) -> None:
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
    missing = store.missing(entry.oid for entry in tree.entries)
    for blob in sorted(missing):
        report.problems.append(FsckProblem("tree", f"lists blob {blob}, which is missing", oid))
