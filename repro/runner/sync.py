"""``repro push``, ``fetch`` and ``pull``: a run's record and every object
it needs travel between the local cache and a remote, so that a fresh
clone can replay it. By default the runs are those the lock pins.

A pushed run is listed on the remote as ``runs/<run-id>`` (naming its
record object), written only once every object below it is there: a
listed run is always complete. A fetch admits objects bottom-up as well
(blobs, then trees, then records), every one verified against its id.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from repro.errors import ReproError
from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex, UnknownRunError, match_run, parse_record
from repro.project import Project
from repro.remotes import Remote, check_remote, get_remote, remote_errors
from repro.runner.closure import RunObjects, record_oid, run_objects, tree_blobs
from repro.runner.lockfile import load_lock
from repro.store import ObjectNotFoundError, ObjectStore, Tree
from repro.store.transfer import DEFAULT_JOBS, Progress, TransferReport, transfer

__all__ = [
    "CorruptObjectsError",
    "NoRunsToSyncError",
    "ObjectsMissingError",
    "RemoteRunNotFoundError",
    "SyncOutcome",
    "fetch_runs",
    "missing_objects",
    "pull_runs",
    "push_runs",
]

RUNS_DIR = "runs"


class NoRunsToSyncError(ReproError):
    def __init__(self) -> None:
        super().__init__(
            "no runs to transfer: repro.lock pins none; run a pipeline first, or name runs "
            "(or pass --all)"
        )


class ObjectsMissingError(ReproError):
    def __init__(self, where: str, runs: list[str], count: int) -> None:
        self.where = where
        self.runs = runs
        self.count = count
        super().__init__(
            f"{count} object(s) of run {', '.join(runs)} are in neither the local cache nor "
            f"{where}; push them from the machine that made the run, or run it again"
        )


class CorruptObjectsError(ReproError):
    def __init__(self, where: str, oids: list[str]) -> None:
        self.where = where
        self.oids = oids
        shown = ", ".join(oids[:3]) + (f" and {len(oids) - 3} more" if len(oids) > 3 else "")
        super().__init__(
            f"{len(oids)} object(s) in {where} do not match their ids and were rejected "
            f"({shown}); 'repro fsck' (--remote for a remote) names the damaged files: delete "
            "them there, then transfer again from a good copy"
        )


class RemoteRunNotFoundError(ReproError, LookupError):
    def __init__(self, run: str, remote: str) -> None:
        self.run = run
        self.remote = remote
        super().__init__(
            f"run {run!r} is neither recorded here nor pushed to remote {remote!r}; "
            "check the id with 'repro runs list' where it was made, and push it from there"
        )


@dataclass
class SyncOutcome:
    remote: Remote
    runs: list[str]
    report: TransferReport
    restored: list[str] = field(default_factory=list)  # pull: data put back in place
    # Remote packs whose index is damaged: their objects were sent again.
    damaged: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Run:
    id: str
    record_oid: str | None  # known from the lock or the remote listing


# choosing runs


def _locked_runs(project: Project) -> list[_Run]:
    lock = load_lock(project)
    if lock is None or not lock.pipelines:
        raise NoRunsToSyncError()
    runs = {entry.run: entry.record for entry in lock.pipelines.values()}
    return [_Run(run, oid) for run, oid in sorted(runs.items())]


def _local_runs(project: Project, names: Sequence[str], all_runs: bool) -> list[_Run]:
    if all_runs:
        return [_Run(run, None) for run in RunIndex(project.repro_dir).ids()]
    if not names:
        return _locked_runs(project)
    index = RunIndex(project.repro_dir)
    return [_Run(index.resolve(name), None) for name in names]


def _record(project: Project, store: ObjectStore, run: _Run) -> RunRecord:
    index = RunIndex(project.repro_dir)
    if index.has(run.id):
        return index.load(run.id)
    if run.record_oid is not None and store.exists(run.record_oid):
        return parse_record(store.read(run.record_oid), f"record of run {run.id}")
    raise UnknownRunError(run.id)


# push


def push_runs(
    project: Project,
    names: Sequence[str] = (),
    *,
    all_runs: bool = False,
    remote: str | None = None,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
) -> SyncOutcome:
    target = get_remote(project.config, remote)
    algorithm = project.config.core.hash
    local = project.store()
    runs = _local_runs(project, names, all_runs)
    records = {run.id: _record(project, local, run) for run in runs}
    wanted = RunObjects()
    for record in records.values():
        wanted.update(run_objects(record, algorithm))
    # A tree the local cache lacks is pushed only if the remote has it
    # (and so its blobs); transfer says which neither side holds.
    wanted.blobs |= tree_blobs(local, wanted.trees - local.missing(wanted.trees))
    phases = [wanted.blobs, wanted.trees, wanted.records]
    with remote_errors(target):
        store = _remote_store(project, target)
        report = transfer(local, store, phases, jobs=jobs, progress=progress)
        _check(report, "the local cache", f"remote {target.name!r}", list(records))
        _recheck(local, store, phases, report, jobs, f"remote {target.name!r}", list(records))
        _list_runs(store, records, algorithm)
    return SyncOutcome(target, sorted(records), report, damaged=dict(store.damaged))


def _recheck(
    local: ObjectStore,
    store: ObjectStore,
    phases: list[set[str]],
    report: TransferReport,
    jobs: int,
    where: str,
    runs: list[str],
) -> None:
    """Before a run is listed, every object of it must still be there: a gc
    elsewhere may have removed one this push found present. Those are sent
    again."""
    wanted = set().union(*phases)
    gone = wanted - store.present(wanted)
    if not gone:
        return
    again = transfer(local, store, [phase & gone for phase in phases], jobs=jobs)
    report.moved += again.moved
    report.bytes += again.bytes
    _check(again, "the local cache", where, runs)


def _remote_store(project: Project, remote: Remote) -> ObjectStore:
    return remote.store(
        project.config.core.hash,
        index_cache=os.path.join(project.repro_dir, "tmp", "remote-indexes", remote.name),
        skip_damaged=True,
    )


def _check(report: TransferReport, source: str, destination: str, runs: list[str]) -> None:
    """Corrupt objects are the source's; absent ones are in neither store."""
    if report.corrupt:
        raise CorruptObjectsError(source, sorted(report.corrupt))
    if report.absent:
        raise ObjectsMissingError(destination, runs, len(report.absent))


def _list_runs(store: ObjectStore, records: dict[str, RunRecord], algorithm: str) -> None:
    # Written whether or not it is there: the same bytes, and one request
    # instead of a look and a write.
    for run_id, record in sorted(records.items()):
        oid = record_oid(record, algorithm)
        store.backend.write_atomic(f"{RUNS_DIR}/{run_id}", [f"{oid}\n".encode()])


# fetch and pull


def fetch_runs(
    project: Project,
    names: Sequence[str] = (),
    *,
    remote: str | None = None,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
) -> SyncOutcome:
    source = get_remote(project.config, remote)
    local = project.store()
    with remote_errors(source):
        store = _remote_store(project, source)
        runs = _runs_to_fetch(project, store, source, names)
        records = {run.id: _fetch_record(project, local, store, source, run) for run in runs}
        wanted = RunObjects()
        for record in records.values():
            wanted.update(run_objects(record, project.config.core.hash))
        trees = _read_trees(local, store, wanted.trees)
        wanted.blobs |= {entry.oid for tree in trees.values() for entry in tree.entries}
        report = transfer(store, local, [wanted.blobs], jobs=jobs, progress=progress)
        report.absent |= wanted.trees - trees.keys()
        _check(report, f"remote {source.name!r}", f"remote {source.name!r}", sorted(records))
    for tree in trees.values():
        local.write(tree.to_bytes())
    index = RunIndex(project.repro_dir)
    for record in records.values():
        if not index.has(record.id):  # a run recorded here is already in place
            local.write(index.save(record))
    _remember_steps(project, local, records.values())
    return SyncOutcome(source, sorted(records), report)


def _runs_to_fetch(
    project: Project, store: ObjectStore, remote: Remote, names: Sequence[str]
) -> list[_Run]:
    if not names:
        return _locked_runs(project)
    listed = store.backend.listdir(RUNS_DIR)
    local = RunIndex(project.repro_dir).ids()
    found = []
    for name in names:
        try:
            run_id = match_run(name, [*listed, *local])
        except UnknownRunError:
            # A missing bucket lists as empty: say so rather than "no such run".
            check_remote(remote, project.config.core.hash)
            raise RemoteRunNotFoundError(name, remote.name) from None
        found.append(_Run(run_id, _listed_record(store, run_id) if run_id in listed else None))
    return found


def _listed_record(store: ObjectStore, run_id: str) -> str:
    from repro.lineage.runs import RunRecordInvalidError

    listing = f"{RUNS_DIR}/{run_id}"
    text = store.backend.read_bytes(listing)[:256].decode("utf-8", "replace").strip()
    try:
        return store.validate(text)
    except ReproError as exc:
        raise RunRecordInvalidError(f"the remote's listing {listing}", str(exc)) from exc


def _checked_record(data: bytes, run_id: str) -> RunRecord:
    record = parse_record(data, f"record of run {run_id}")
    if record.id != run_id:
        from repro.lineage.runs import RunRecordInvalidError

        raise RunRecordInvalidError(
            f"record of run {run_id}", f"it is the record of run {record.id}"
        )
    return record


def _fetch_record(
    project: Project, local: ObjectStore, store: ObjectStore, remote: Remote, run: _Run
) -> RunRecord:
    index = RunIndex(project.repro_dir)
    if index.has(run.id):
        return index.load(run.id)
    oid = run.record_oid or _listed_record(store, run.id)
    source = local if local.exists(oid) else store
    try:
        data = source.read(oid)
    except ObjectNotFoundError:
        raise RemoteRunNotFoundError(run.id, remote.name) from None
    return _checked_record(data, run.id)


def _read_trees(local: ObjectStore, remote: ObjectStore, oids: Iterable[str]) -> dict[str, Tree]:
    """The trees, read (and verified) from wherever they are, admitted to
    the local cache only after their blobs."""
    found = {}
    places = remote.locate_many(set(oids) - local.locate_many(oids).keys())
    for oid in oids:
        store = remote if oid in places else local
        if oid in places or local.exists(oid):
            found[oid] = Tree.from_bytes(store.read(oid), oid)
    return found


def _remember_steps(project: Project, store: ObjectStore, records: Iterable[RunRecord]) -> None:
    """Executed steps of fetched runs become cache hits here too, as they
    are on the machine that ran them."""
    from repro.runner.stepcache import StepCache

    cache = StepCache(project.repro_dir)
    for record in records:
        for step in record.steps.values():
            if step.status not in ("executed", "cached") or step.cache_key is None:
                continue
            if cache.get(step.cache_key, store) is not None:
                continue
            outputs = {
                name: artifact.model_dump(mode="json") for name, artifact in step.outputs.items()
            }
            cache.put(
                step.cache_key,
                {
                    "outputs": outputs,
                    "metrics": step.metrics,
                    "run": step.cached_from or record.id,
                    "duration": step.duration,
                },
            )


def pull_runs(
    project: Project,
    names: Sequence[str] = (),
    *,
    remote: str | None = None,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
    force: bool = False,
) -> SyncOutcome:
    """Fetch, then put the data the runs read back in place in the project
    (a file whose content is not stored is never overwritten without
    ``force``)."""
    from repro.runner.datasets import restore_dataset

    outcome = fetch_runs(project, names, remote=remote, jobs=jobs, progress=progress)
    local = project.store()
    index = RunIndex(project.repro_dir)
    for run_id in outcome.runs:
        for snapshot in index.load(run_id).inputs.values():
            restored = restore_dataset(local, project.root, snapshot, force=force)
            if restored is not None and restored not in outcome.restored:
                outcome.restored.append(restored)
    return outcome


def missing_objects(project: Project, record: RunRecord) -> set[str]:
    """The objects of ``record`` the local cache lacks (trees it holds are
    opened; those it lacks count as missing with their blobs unknown)."""
    local = project.store()
    objects = run_objects(record, project.config.core.hash)
    absent_trees = local.missing(objects.trees)
    objects.blobs |= tree_blobs(local, objects.trees - absent_trees)
    return local.missing(objects.blobs | objects.trees) | absent_trees
