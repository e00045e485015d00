"""gc: remove the objects of a store that are not in a given live set.

The store layer knows only ids: which objects are live is decided above
(``repro.runner.gc``). A sweep is planned from two listings (``objects/``
and ``packs/``, one request each on a remote) and the pack indexes, then
carried out; a dry run is the plan alone, so it reports exactly what a real
sweep would remove.

Safety, in order of the steps that could lose data:

- a live object is never removed: loose ones are removed by id only when
  the id is not live, and a pack holding live objects is only ever replaced
  by a new pack holding them, committed (pack, then index) before the old
  one goes (index first, so no reader finds an index without its pack);
- the grace period: a file modified within ``grace_seconds`` is never
  removed, live or not, because another process (a run in another project
  sharing the cache, a push from another machine) may have written it and
  be about to reference it. Where a backend gives no modification time, the
  file is kept and counted as such;
- a pack whose live objects do not hash to their ids is left as it is and
  reported: copying would carry the damage into a new pack, dropping it
  would lose the object (``repro fsck`` names it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from repro.store.backend import FileInfo
from repro.store.errors import StoreFormatError
from repro.store.objects import OBJECTS_DIR, ObjectStore
from repro.store.pack import PACK_DIR, PackIndex, PackLocation, PackWriter

__all__ = ["GcReport", "SweepPlan", "plan_sweep", "sweep"]

Progress = Callable[[int], None]
_PREFIX = re.compile(r"[0-9a-f]{2}")
_TEMP = ".tmp-"


@dataclass
class GcReport:
    """What a sweep removed and kept; with ``dry_run``, what it would have."""

    dry_run: bool = False
    removed: int = 0  # objects, loose and packed
    removed_bytes: int = 0
    kept: int = 0  # objects left in the store, live or protected
    kept_recent: int = 0  # not live, but modified within the grace period
    kept_untimed: int = 0  # not live, but the backend gives no time: kept
    packs_removed: int = 0
    packs_rewritten: int = 0  # packs replaced by one holding only their live objects
    packs_written: int = 0
    leftovers_removed: int = 0  # temp files and packs without an index
    leftover_bytes: int = 0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Removal:
    path: str
    size: int
    oid: str | None = None  # None for a leftover


@dataclass(frozen=True)
class _Pack:
    pack_id: str
    index: PackIndex
    live: tuple[tuple[str, PackLocation], ...]
    dead: tuple[tuple[str, PackLocation], ...]

    @property
    def dead_bytes(self) -> int:
        return sum(location.length for _, location in self.dead)


@dataclass
class SweepPlan:
    """What a sweep will do, decided before anything is touched."""

    loose: list[_Removal] = field(default_factory=list)
    leftovers: list[_Removal] = field(default_factory=list)
    drop: list[_Pack] = field(default_factory=list)  # no live object: deleted
    rewrite: list[_Pack] = field(default_factory=list)  # some live objects: copied, then deleted
    report: GcReport = field(default_factory=GcReport)

    def removed_oids(self) -> set[str]:
        """Every object id the plan removes from the store."""
        found = {removal.oid for removal in self.loose if removal.oid is not None}
        for pack in [*self.drop, *self.rewrite]:
            found.update(oid for oid, _ in pack.dead)
        return found


class _Clock:
    """Whether a file may go: older than the grace period, by the time the
    backend gives (a remote's own clock, for a remote)."""

    def __init__(self, now: float, grace_seconds: float) -> None:
        self.cutoff = now - grace_seconds

    def old(self, *infos: FileInfo | None) -> bool | None:
        """True if every file is older than the grace period, None if a time
        is unknown."""
        times = [info.modified if info is not None else None for info in infos]
        if any(stamp is None for stamp in times):
            return None
        return all(stamp is not None and stamp < self.cutoff for stamp in times)


def plan_sweep(
    store: ObjectStore, live: set[str], *, grace_seconds: float, now: float | None = None
) -> SweepPlan:
    """Decide what ``sweep`` removes: nothing in ``live``, nothing modified
    within ``grace_seconds`` of ``now``."""
    clock = _Clock(time.time() if now is None else now, grace_seconds)
    plan = SweepPlan()
    _plan_loose(store, live, clock, plan, store.backend.list_files(OBJECTS_DIR))
    _plan_packs(store, live, clock, plan, store.backend.list_files(PACK_DIR))
    return plan


def _plan_loose(
    store: ObjectStore,
    live: set[str],
    clock: _Clock,
    plan: SweepPlan,
    listing: dict[str, FileInfo],
) -> None:
    for path, info in sorted(listing.items()):
        parts = path.split("/")
        if parts[-1].startswith(_TEMP):
            _plan_leftover(plan, clock, path, info)
            continue
        oid = "".join(parts[1:])
        valid = len(parts) == 3 and _PREFIX.fullmatch(parts[1]) is not None
        if not valid or not store.algorithm.is_valid_oid(oid):
            continue  # not an object: never touched
        if oid in live:
            plan.report.kept += 1
        elif _keep_dead(plan.report, clock.old(info), 1):
            plan.loose.append(_Removal(path, info.size, oid))
            plan.report.removed += 1
            plan.report.removed_bytes += info.size


def _keep_dead(report: GcReport, old: bool | None, count: int) -> bool:
    """Count ``count`` unreferenced objects as kept when they are recent or
    their time is unknown; True when they may go."""
    if old:
        return True
    report.kept += count
    if old is None:
        report.kept_untimed += count
    else:
        report.kept_recent += count
    return False


def _plan_leftover(plan: SweepPlan, clock: _Clock, path: str, info: FileInfo) -> None:
    if clock.old(info):
        plan.leftovers.append(_Removal(path, info.size))
        plan.report.leftovers_removed += 1
        plan.report.leftover_bytes += info.size


def _plan_packs(
    store: ObjectStore,
    live: set[str],
    clock: _Clock,
    plan: SweepPlan,
    listing: dict[str, FileInfo],
) -> None:
    names = {path.removeprefix(f"{PACK_DIR}/"): info for path, info in listing.items()}
    for name, info in sorted(names.items()):
        if name.startswith(_TEMP):
            _plan_leftover(plan, clock, f"{PACK_DIR}/{name}", info)
        elif name.endswith(".pack") and f"{name.removesuffix('.pack')}.idx" not in names:
            # Committed before its index: an interrupted write, or one in progress.
            _plan_leftover(plan, clock, f"{PACK_DIR}/{name}", info)
    for name in sorted(names):
        pack_id = name.removesuffix(".idx")
        if name.endswith(".idx") and store.algorithm.is_valid_oid(pack_id):
            _plan_pack(store, live, clock, plan, pack_id, names)


def _plan_pack(
    store: ObjectStore,
    live: set[str],
    clock: _Clock,
    plan: SweepPlan,
    pack_id: str,
    names: dict[str, FileInfo],
) -> None:
    try:
        index = store.load_index(pack_id)
    except StoreFormatError as exc:
        plan.report.problems.append(f"{exc.where}: {exc.reason}; pack left as it is")
        return
    entries = list(index)
    kept = tuple(entry for entry in entries if entry[0] in live)
    dead = tuple(entry for entry in entries if entry[0] not in live)
    plan.report.kept += len(kept)
    pack = _Pack(pack_id, index, kept, dead)
    if not dead:
        return
    # A pack is one file: it goes (or is rewritten) only when neither it nor
    # its index was written within the grace period.
    if not _keep_dead(
        plan.report, clock.old(names[f"{pack_id}.idx"], names.get(f"{pack_id}.pack")), len(dead)
    ):
        return
    if kept and f"{pack_id}.pack" not in names:
        plan.report.problems.append(
            f"{PACK_DIR}/{pack_id}.pack is missing; its index was left (run 'repro fsck')"
        )
        plan.report.kept += len(dead)
        return
    (plan.rewrite if kept else plan.drop).append(pack)
    plan.report.removed += len(dead)
    plan.report.removed_bytes += pack.dead_bytes
    plan.report.packs_removed += 0 if kept else 1
    plan.report.packs_rewritten += 1 if kept else 0


def sweep(
    store: ObjectStore,
    live: set[str],
    *,
    grace_seconds: float,
    dry_run: bool,
    now: float | None = None,
    progress: Progress | None = None,
) -> GcReport:
    """Remove every object of ``store`` not in ``live`` and older than the
    grace period, and the leftovers of interrupted writes; with ``dry_run``,
    only count them."""
    plan = plan_sweep(store, live, grace_seconds=grace_seconds, now=now)
    plan.report.dry_run = dry_run
    if not dry_run:
        _carry_out(store, plan, progress)
    return plan.report


def _carry_out(store: ObjectStore, plan: SweepPlan, progress: Progress | None) -> None:
    tick = progress or (lambda _count: None)
    _rewrite_packs(store, plan, tick)
    for pack in plan.drop:
        _remove_pack(store, pack.pack_id)
        tick(len(pack.dead))
    for removal in [*plan.loose, *plan.leftovers]:
        store.backend.remove(removal.path)
        tick(1)
    store.refresh()


def _remove_pack(store: ObjectStore, pack_id: str) -> None:
    # Index first: a reader that finds an index must find its pack.
    store.backend.remove(f"{PACK_DIR}/{pack_id}.idx")
    store.backend.remove(f"{PACK_DIR}/{pack_id}.pack")


class _Repacker:
    """Copies live objects into new packs; an old pack is removed only once
    every one of its live objects is in a committed new pack."""

    def __init__(self, store: ObjectStore, report: GcReport) -> None:
        self.store = store
        self.report = report
        self.writer: PackWriter | None = None
        self.covered: list[str] = []  # old packs whose live objects the writer holds

    def add(self, pack: _Pack, objects: Iterable[tuple[str, bytes]]) -> None:
        if self.writer is None:
            self.writer = PackWriter(self.store.backend, self.store.algorithm)
        for oid, data in objects:
            self.writer.add(oid, data)
        self.covered.append(pack.pack_id)
        if self.writer.size >= self.store.pack_size:
            self.commit()

    def commit(self) -> None:
        if self.writer is not None and self.writer.finish() is not None:
            self.report.packs_written += 1
        self.writer = None
        for pack_id in self.covered:
            _remove_pack(self.store, pack_id)
        self.covered = []

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()


def _rewrite_packs(store: ObjectStore, plan: SweepPlan, tick: Progress) -> None:
    repacker = _Repacker(store, plan.report)
    try:
        for pack in plan.rewrite:
            objects = _live_objects(store, pack)
            if objects is None:
                _undo_rewrite(plan.report, pack)
            else:
                repacker.add(pack, objects)
            tick(len(pack.live) + len(pack.dead))
        repacker.commit()
    except BaseException:
        repacker.abort()
        raise


def _live_objects(store: ObjectStore, pack: _Pack) -> list[tuple[str, bytes]] | None:
    """The pack's live objects, each checked against its id; None (and a
    problem reported by the caller) if the pack cannot be read or one is
    damaged."""
    path = f"{PACK_DIR}/{pack.pack_id}.pack"
    try:
        data = store.backend.read_bytes(path)
    except FileNotFoundError:
        return None
    objects = []
    for oid, location in pack.live:
        chunk = data[location.offset : location.offset + location.length]
        if store.algorithm.hexdigest(chunk) != oid:
            return None
        objects.append((oid, chunk))
    return objects


def _undo_rewrite(report: GcReport, pack: _Pack) -> None:
    report.problems.append(
        f"{PACK_DIR}/{pack.pack_id}.pack: a live object is damaged or the pack is "
        "unreadable; pack left as it is (run 'repro fsck')"
    )
    report.removed -= len(pack.dead)
    report.removed_bytes -= pack.dead_bytes
    report.kept += len(pack.dead)
    report.packs_rewritten -= 1
