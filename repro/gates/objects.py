"""Are the objects of every run the lock pins reachable: in the local cache,
else on the default remote? A lock whose bytes are nowhere cannot be
replayed by anyone else.

Finding every object of a run costs a tenth of a second (its record
parsed, its trees opened, thousands of ids looked up), so a run once found
complete in the local cache is remembered in ``.repro/tmp/gates-objects.json``
with the state of the cache: the modification times of its folders. Objects
are never rewritten in place, and removing one (gc, or by hand) changes its
folder's time, so the same state means the same objects are still there.
Only what the local cache lacks is asked of the remote, each time.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from repro.atomic import write_atomic
from repro.errors import ReproError
from repro.hashing import get_algorithm
from repro.project import Project

if TYPE_CHECKING:
    from repro.lineage.records import RunRecord
    from repro.store import ObjectStore

__all__ = ["LockedRun", "Unreachable", "unreachable_runs"]

STAMP = "tmp/gates-objects.json"


@dataclass(frozen=True)
class LockedRun:
    pipeline: str
    run: str
    record: str  # the record's object id
    rerun: str  # the command that runs the pipeline again
    push: str  # the command that pushes its objects


@dataclass(frozen=True)
class Unreachable:
    run: LockedRun
    problem: str
    fix: str


def unreachable_runs(project: Project, runs: Sequence[LockedRun]) -> list[Unreachable]:
    state = _cache_state(project)
    known = _complete_runs(project, state)
    wanted = [run for run in runs if run.record not in known]
    if not wanted:
        return []
    local = project.store()
    missing: dict[LockedRun, set[str]] = {}
    for run in wanted:
        record = _record(project, local, run)
        oids = None if record is None else _missing_here(project, local, run, record)
        if oids is None or oids:
            missing[run] = oids or set()  # an empty set: the record itself is not here
        else:
            known.add(run.record)
    if len(missing) < len(wanted):
        _remember(project, state, known)
    return _on_remote(project, missing) if missing else []


def _record(project: Project, local: ObjectStore, run: LockedRun) -> RunRecord | None:
    from repro.lineage.runs import RunIndex, parse_record

    index = RunIndex(project.repro_dir)
    if index.has(run.run):
        return index.load(run.run)
    if local.exists(run.record):
        return parse_record(local.read(run.record), f"record of run {run.run}")
    return None


def _missing_here(
    project: Project, local: ObjectStore, run: LockedRun, record: RunRecord
) -> set[str]:
    from repro.runner.sync import missing_objects

    return missing_objects(project, record) | local.missing([run.record])


def _on_remote(project: Project, missing: dict[LockedRun, set[str]]) -> list[Unreachable]:
    from repro.remotes import NoDefaultRemoteError, get_remote, remote_errors

    try:
        remote = get_remote(project.config)
    except NoDefaultRemoteError:
        return [_without_remote(run, oids) for run, oids in missing.items()]
    found: list[Unreachable] = []
    try:
        with remote_errors(remote):
            store = remote.store(
                project.config.core.hash,
                index_cache=os.path.join(project.repro_dir, "tmp", "remote-indexes", remote.name),
                skip_damaged=True,
            )
            for run, oids in missing.items():
                if not _complete_on(store, run, oids):
                    found.append(_not_on(run, oids, remote.name))
    except ReproError as exc:  # unreachable, refused: nothing proves the objects are there
        fix = "reach the remote and commit again (`SKIP=repro-lineage git commit` skips this check)"
        return [
            Unreachable(run, f"{_what(run, oids)} are not in the local cache, and {exc}", fix)
            for run, oids in missing.items()
        ]
    return found


def _complete_on(store: ObjectStore, run: LockedRun, oids: set[str]) -> bool:
    """True when the remote holds ``oids``, or (with none known: the record
    is not here) lists the run, which it does only once all of it is there."""
    if not oids:
        return bool(store.backend.exists(f"runs/{run.run}"))
    return not oids - store.present(oids)


def _what(run: LockedRun, oids: set[str]) -> str:
    return f"{len(oids)} object(s) of run {run.run}" if oids else f"the record of run {run.run}"


def _not_on(run: LockedRun, oids: set[str], remote: str) -> Unreachable:
    fix = (
        f"push them from the machine that made the run (`{run.push}`), or run it again "
        f"(`{run.rerun}`)"
    )
    return Unreachable(
        run, f"{_what(run, oids)} are in neither the local cache nor remote {remote!r}", fix
    )


def _without_remote(run: LockedRun, oids: set[str]) -> Unreachable:
    fix = (
        f"run it again (`{run.rerun}`), or add the remote that has them "
        "(`repro remote add NAME URL`) and `repro pull`"
    )
    problem = f"{_what(run, oids)} are not in the local cache, and no default remote is configured"
    return Unreachable(run, problem, fix)


# the memory of complete runs


def _cache_state(project: Project) -> str:
    """A digest of the modification times of the local cache's folders."""
    root = project.store_dir
    parts = []
    for folder in (root, os.path.join(root, "packs"), os.path.join(root, "objects")):
        parts.append(f"{folder}:{_mtime(folder)}")
    try:
        with os.scandir(os.path.join(root, "objects")) as entries:
            parts += sorted(f"{e.name}:{e.stat().st_mtime_ns}" for e in entries if e.is_dir())
    except FileNotFoundError:
        pass
    return str(get_algorithm("xxh3-128").hexdigest("\n".join(parts).encode()))


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def _complete_runs(project: Project, state: str) -> set[str]:
    try:
        with open(os.path.join(project.repro_dir, STAMP), encoding="utf-8") as file:
            stamp = json.load(file)
    except (OSError, ValueError):
        return set()
    if not isinstance(stamp, dict) or stamp.get("state") != state:
        return set()
    records = stamp.get("records")
    return {r for r in records if isinstance(r, str)} if isinstance(records, list) else set()


def _remember(project: Project, state: str, records: set[str]) -> None:
    stamp = {"state": state, "records": sorted(records)}
    with contextlib.suppress(OSError):  # only a memory: the next check looks again
        write_atomic(os.path.join(project.repro_dir, STAMP), json.dumps(stamp).encode())
