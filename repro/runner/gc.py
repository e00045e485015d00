"""``repro gc``: which runs are kept, which objects they need, and the sweep
of everything else from the local cache and, with ``remote``, a remote.

Kept, like ``dvc gc --all-branches --all-tags`` plus the run history a
DVC user does not have:

- every run ``repro.lock`` pins, and every run an alias in ``models.yaml``
  was promoted from (the version's lineage), in the work tree, the Git
  index, HEAD and every branch (local and remote-tracking) and tag; with
  ``all_commits``, in every commit that changed either file;
- with ``keep_days``, every run started in the last N days (a run id
  encodes its start time, so this works for runs known only to a remote);
- every run whose record was written within the grace period, and every
  run in flight (a journal its live process holds, or a spec without a
  record): never collected.

A run killed before its record (its journal held by no live process, see
``repro.lineage.runs``) is kept for the grace period (and ``keep_days``);
after that what it left, its journal and spec, is removed, and the objects
only its finished steps made go with everything else unreferenced.

Live objects: ``repro.runner.gc_keep``.

A run that is not kept is forgotten, as ``git gc`` forgets unreachable
commits: its record leaves ``.repro/runs/`` (``repro runs list`` no longer
shows a run whose objects are gone), and with ``remote`` its
``runs/<run-id>`` entry leaves the remote. Step cache entries naming a
removed object go too (they would be misses anyway).

Concurrency: the project's run lock is held throughout, so no ``repro run``
of this project writes objects it has not recorded yet; the grace period
protects what other projects sharing the cache or remote are writing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from repro.errors import UsageError
from repro.lineage.runs import RunIndex, is_run_id_prefix
from repro.project import Project
from repro.runner.gc_keep import (
    DAY,
    KeptRuns,
    LiveSet,
    kept_runs,
    live_objects,
    read_json,
    run_started,
)
from repro.store import ObjectStore
from repro.store.gc import GcReport, sweep

__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "GcOutcome",
    "KeptRuns",
    "collect_garbage",
    "kept_runs",
    "live_objects",
    "parse_duration",
    "run_started",
]

DEFAULT_GRACE_SECONDS = 3600.0
RUNS_DIR = "runs"  # a remote's runs/<run-id> entries (see repro.remotes)


@dataclass
class GcOutcome:
    kept: KeptRuns
    live: int  # objects the kept runs need
    local: GcReport
    remote: GcReport | None = None
    remote_name: str | None = None
    forgotten: list[str] = field(default_factory=list)  # local run records removed
    killed_removed: list[str] = field(default_factory=list)  # killed runs' journals removed
    remote_forgotten: list[str] = field(default_factory=list)  # runs/<id> removed from the remote
    steps_removed: int = 0  # step cache entries naming a removed object
    unresolved: list[str] = field(default_factory=list)  # kept runs whose record is nowhere
    warnings: list[str] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.local.dry_run

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "kept_runs": dict(sorted(self.kept.reasons.items())),
            "live_objects": self.live,
            "local": self.local.to_dict(),
            "remote": None if self.remote is None else self.remote.to_dict(),
            "remote_name": self.remote_name,
            "forgotten_runs": self.forgotten,
            "killed_runs_removed": self.killed_removed,
            "remote_forgotten_runs": self.remote_forgotten,
            "step_entries_removed": self.steps_removed,
            "unresolved_runs": self.unresolved,
            "warnings": self.warnings,
        }


class InvalidDurationError(UsageError, ValueError):
    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(
            f"--grace {text!r}: expected a duration such as 30s, 15m, 1h or 2d (0 for none)"
        )


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``1h``, ``2d`` or a bare number of seconds."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": DAY, "w": 7 * DAY}
    cleaned = text.strip().lower()
    scale = units.get(cleaned[-1:])
    number = cleaned[:-1] if scale is not None else cleaned
    try:
        value = float(number)
    except ValueError:
        raise InvalidDurationError(text) from None
    if value < 0 or value != value or value == float("inf"):
        raise InvalidDurationError(text)
    return value * (scale or 1.0)


def collect_garbage(
    project: Project,
    *,
    remote: str | bool | None = None,
    all_commits: bool = False,
    keep_days: float | None = None,
    dry_run: bool = False,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    wait: bool = True,
    on_wait: Callable[[str], None] = lambda message: None,
    progress: Callable[[int], None] | None = None,
    now: float | None = None,
) -> GcOutcome:
    """Sweep the local cache (and with ``remote`` — a name, or True for the
    default remote — that remote too) of every object no kept run needs."""
    from repro.runner.runlock import project_run_lock

    if keep_days is not None and keep_days < 0:
        raise UsageError(f"--keep-days {keep_days:g}: must be 0 or more")
    with project_run_lock(project.repro_dir, on_wait, wait=wait, command="repro gc"):
        # After the wait: what a run wrote meanwhile is judged by the time gc starts.
        now = time.time() if now is None else now
        kept = kept_runs(
            project,
            all_commits=all_commits,
            keep_days=keep_days,
            grace_seconds=grace_seconds,
            now=now,
        )
        sweeper = _Sweeper(project, kept, dry_run, keep_days, grace_seconds, now, progress)
        if remote is None or remote is False:
            return sweeper.local_only()
        return sweeper.with_remote(None if remote is True else str(remote))


class _Sweeper:
    def __init__(
        self,
        project: Project,
        kept: KeptRuns,
        dry_run: bool,
        keep_days: float | None,
        grace_seconds: float,
        now: float,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.project, self.kept, self.dry_run = project, kept, dry_run
        self.keep_days, self.grace_seconds, self.now = keep_days, grace_seconds, now
        self.progress = progress
        self.store = project.store()

    def sweep(self, store: ObjectStore, live: set[str]) -> GcReport:
        return sweep(
            store,
            live,
            grace_seconds=self.grace_seconds,
            dry_run=self.dry_run,
            now=self.now,
            progress=self.progress,
        )

    def local_only(self) -> GcOutcome:
        live = live_objects(self.project, self.kept, [self.store])
        return self._finish(live, self.sweep(self.store, live.oids))

    def with_remote(self, name: str | None) -> GcOutcome:
        from repro.remotes import check_remote, get_remote, remote_errors

        remote = get_remote(self.project.config, name)
        algorithm = self.project.config.core.hash
        # A misspelt bucket must fail, not look like an empty remote.
        check_remote(remote, algorithm)
        with remote_errors(remote):
            store = remote.store(algorithm)
            listed = _remote_runs(store, self.kept, self.keep_days, self.grace_seconds, self.now)
            live = live_objects(self.project, self.kept, [self.store, store])
            report = self.sweep(store, live.oids)
            gone = [run for run in listed if run not in self.kept]
            if not self.dry_run:
                for run_id in gone:
                    store.backend.remove(f"{RUNS_DIR}/{run_id}")
        outcome = self._finish(live, self.sweep(self.store, live.oids))
        outcome.remote, outcome.remote_name, outcome.remote_forgotten = report, remote.name, gone
        outcome.warnings.append(
            f"remote {remote.name!r}: only runs this repository's refs pin or promote (run "
            "'git fetch' first) or that are recent were kept; other repositories' runs there "
            "were not"
        )
        return outcome

    def _finish(self, live: LiveSet, local: GcReport) -> GcOutcome:
        outcome = GcOutcome(self.kept, len(live.oids), local, unresolved=live.unresolved)
        outcome.forgotten = _forget_runs(self.project, self.kept, self.dry_run)
        outcome.killed_removed = _remove_killed(self.project, self.kept, self.dry_run)
        outcome.steps_removed = _prune_step_cache(
            self.project, live.oids, self.dry_run, self.now - self.grace_seconds
        )
        if not _inside(self.project.cache_dir, self.project.root):
            outcome.warnings.append(
                f"the cache {self.project.cache_dir} is outside this project: objects only "
                "other projects sharing it use were removed unless written within the grace period"
            )
        return outcome


def _remote_runs(
    store: ObjectStore, kept: KeptRuns, keep_days: float | None, grace_seconds: float, now: float
) -> list[str]:
    """The runs the remote lists (``runs/<run-id>``, naming the record).
    Those started within ``keep_days`` or listed within the grace period
    (or with no time) are kept too; the record of each kept one is noted."""
    listed = []
    for path, info in sorted(store.backend.list_files(RUNS_DIR).items()):
        run_id = path.rsplit("/", 1)[-1]
        if not is_run_id_prefix(run_id):
            continue
        listed.append(run_id)
        started = run_started(run_id)
        if keep_days is not None and started is not None and started >= now - keep_days * DAY:
            kept.keep(run_id, f"started in the last {keep_days:g} days")
        if info.modified is None or info.modified >= now - grace_seconds:
            kept.keep(run_id, "listed on the remote within the grace period")
        # Read only where the record is known no other way (one request each).
        if run_id in kept and not kept.records.get(run_id) and run_id not in kept.recorded:
            record = _listed_record(store, path)
            if record is not None:
                kept.records.setdefault(run_id, set()).add(record)
    return listed


def _listed_record(store: ObjectStore, path: str) -> str | None:
    text = store.backend.read_bytes(path).decode("utf-8", "replace").strip()
    return text if store.algorithm.is_valid_oid(text) else None


def _forget_runs(project: Project, kept: KeptRuns, dry_run: bool) -> list[str]:
    """Remove the records (and kept specs) of the runs gc does not keep:
    only runs that were in the index when the keep set was made."""
    index = RunIndex(project.repro_dir)
    gone = [run_id for run_id in kept.recorded if run_id not in kept]
    if not dry_run:
        for run_id in gone:
            for suffix in (".json", ".spec"):
                _unlink(os.path.join(index.folder, run_id + suffix))
    return gone


def _remove_killed(project: Project, kept: KeptRuns, dry_run: bool) -> list[str]:
    """Remove what the killed runs gc does not keep left (journal, spec).
    Each is judged dead again while it is removed: one whose process holds
    its journal, however unlikely, stays."""
    if dry_run:
        return list(kept.killed)
    index = RunIndex(project.repro_dir)
    return [run_id for run_id in kept.killed if index.remove_killed(run_id)]


def _prune_step_cache(project: Project, live: set[str], dry_run: bool, cutoff: float) -> int:
    """Remove step cache entries that name an object gc removes (older than
    the grace period, like everything gc removes)."""
    folder = os.path.join(project.repro_dir, "steps")
    removed = 0
    for path in _entry_files(folder):
        doc = read_json(path)
        outputs = doc.get("outputs") if isinstance(doc, dict) else None
        oids = {a.get("oid") for a in (outputs or {}).values() if isinstance(a, dict)}
        if oids <= live or _modified(path) >= cutoff:
            continue
        removed += 1
        if not dry_run:
            _unlink(path)
    return removed


def _entry_files(folder: str) -> Iterator[str]:
    for prefix in sorted(_listdir(folder)):
        for name in sorted(_listdir(os.path.join(folder, prefix))):
            if name.endswith(".json"):
                yield os.path.join(folder, prefix, name)


def _listdir(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _modified(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return float("inf")


def _unlink(path: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(path)


def _inside(path: str, root: str) -> bool:
    path, root = os.path.realpath(path), os.path.realpath(root)
    return os.path.commonpath([path, root]) == root
