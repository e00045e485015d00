"""What ``repro gc`` keeps: the runs (see ``repro.runner.gc``) and the
objects they need.

Live objects are the closure of the kept runs (record, uncommitted diff,
input snapshots, step outputs; trees expanded to their blobs), plus what
the locks, ``models.yaml``, journals and specs name directly, so that a run
whose record is nowhere still keeps the objects its lock entry names and a
promoted version keeps its bytes.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from repro.lineage.lock import LockedPipeline, LockFile
from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex, is_run_id_prefix, parse_record
from repro.models.modelsfile import MODELS_FILE, ModelsFile, read_models_file
from repro.project import Project
from repro.runner.closure import RunObjects, record_oid, run_objects
from repro.store import InvalidTreeError, ObjectNotFoundError, ObjectStore, read_tree
from repro.store.trees import TREE_PREFIX

__all__ = ["DAY", "KeptRuns", "LiveSet", "kept_runs", "live_objects", "read_json", "run_started"]

DAY = 86400.0
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


@dataclass
class KeptRuns:
    """The runs gc keeps, each with why, and the objects their lock entries,
    promotions, journals and specs name directly."""

    reasons: dict[str, str] = field(default_factory=dict)
    records: dict[str, set[str]] = field(default_factory=dict)  # run -> record oids named
    named: RunObjects = field(default_factory=RunObjects)
    outputs: set[str] = field(default_factory=set)  # lock outputs: blob or tree, unsaid
    recorded: list[str] = field(default_factory=list)  # the local index when it was read
    killed: list[str] = field(default_factory=list)  # killed runs not kept: their leftovers go

    def keep(self, run_id: str, reason: str) -> None:
        self.reasons.setdefault(run_id, reason)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self.reasons

    def add_lock(self, lock: LockFile, where: str) -> None:
        for entry in lock.pipelines.values():
            self.add_entry(entry, where)

    def add_entry(self, entry: LockedPipeline, where: str) -> None:
        self.keep(entry.run, f"pinned by repro.lock in {where}")
        self.records.setdefault(entry.run, set()).add(entry.record)
        for snapshot in entry.inputs.values():
            # A reference snapshot is a manifest (a blob); its data stays where it is.
            kind = self.named.blobs if snapshot.mode == "reference" else self.named.trees
            kind.add(snapshot.oid)
        for step in entry.steps.values():
            self.outputs.update(step.outputs.values())

    def add_models(self, models: ModelsFile, where: str) -> None:
        """The run each alias was promoted from is the version's lineage
        (``repro models show``, a replay of what is in production): kept
        like a pinned run, and the version's bytes with it."""
        for name, entry in sorted(models.models.items()):
            for alias, promotion in sorted(entry.aliases.items()):
                self.keep(promotion.run, f"named by models.yaml in {where} ({name}@{alias})")
                self.outputs.add(promotion.version)


def run_started(run_id: str) -> float | None:
    """When a run started, in seconds since the epoch, from its id (48 bits
    of milliseconds, then 20 random bits, in Crockford base32)."""
    if len(run_id) != 14 or not is_run_id_prefix(run_id):
        return None
    value = 0
    for char in run_id:
        value = value * 32 + _ALPHABET.index(char)
    return (value >> 20) / 1000.0


def kept_runs(
    project: Project,
    *,
    all_commits: bool,
    keep_days: float | None,
    grace_seconds: float = 0.0,
    now: float | None = None,
) -> KeptRuns:
    """The runs gc keeps in ``project`` (listed in ``repro.runner.gc``)."""
    from repro.runner.gc_refs import committed_roots
    from repro.runner.lockfile import load_lock

    now = time.time() if now is None else now
    kept = KeptRuns()
    lock = load_lock(project)
    if lock is not None:
        kept.add_lock(lock, "the work tree")
    committed = committed_roots(project.root, all_commits=all_commits)
    for version in committed.locks:
        kept.add_lock(version.lock, version.where)
    kept.add_models(read_models_file(os.path.join(project.root, MODELS_FILE)), "the work tree")
    for models in committed.models:
        kept.add_models(models.models, models.where)
    index = RunIndex(project.repro_dir)
    kept.recorded = index.ids()
    for run_id in kept.recorded:
        _keep_recent(kept, index, run_id, keep_days, grace_seconds, now)
    kept.killed = _expired_killed(index, keep_days, grace_seconds, now)
    _keep_in_flight(kept, index)
    return kept


def _keep_recent(
    kept: KeptRuns,
    index: RunIndex,
    run_id: str,
    keep_days: float | None,
    grace_seconds: float,
    now: float,
) -> None:
    started = run_started(run_id)
    if started is None:
        started = _created(index, run_id)
    if keep_days is not None and started is not None and started >= now - keep_days * DAY:
        kept.keep(run_id, f"started in the last {keep_days:g} days")
        return
    try:
        modified = os.stat(os.path.join(index.folder, f"{run_id}.json")).st_mtime
    except FileNotFoundError:
        return
    if modified >= now - grace_seconds:
        kept.keep(run_id, "recorded within the grace period")


def _created(index: RunIndex, run_id: str) -> float | None:
    created = index.load(run_id).created
    try:
        return datetime.datetime.fromisoformat(created).timestamp()
    except ValueError:
        return None


def _expired_killed(
    index: RunIndex, keep_days: float | None, grace_seconds: float, now: float
) -> list[str]:
    """The killed runs (a journal no live process holds, no record) that
    gc does not keep: last written before the grace period, and not started
    within ``keep_days``."""
    expired = []
    for run_id in index.killed():
        started = run_started(run_id)
        if keep_days is not None and started is not None and started >= now - keep_days * DAY:
            continue
        try:
            modified = os.stat(os.path.join(index.folder, f"{run_id}.journal")).st_mtime
        except FileNotFoundError:
            continue
        if modified < now - grace_seconds:
            expired.append(run_id)
    return expired


def _keep_in_flight(kept: KeptRuns, index: RunIndex) -> None:
    """Runs with a journal or a spec and no record, but for the killed
    runs gc does not keep: in flight (a run, a replay, a ``step-exec``),
    killed within the grace period, or a spec alone (a run killed before
    its first step ended cannot be told from one in flight). Their finished
    steps are reused by the next run, so their objects stay."""
    recorded = set(kept.recorded) | set(kept.killed)
    for path, run_id in _index_files(index, (".journal", ".spec")):
        if run_id in recorded:
            continue
        kept.keep(run_id, "in flight or killed before its record")
        if path.endswith(".spec"):
            _spec_objects(path, kept.named)
        else:
            _journal_objects(path, kept.named)


def _index_files(index: RunIndex, suffixes: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    try:
        names = sorted(os.listdir(index.folder))
    except FileNotFoundError:
        return
    for name in names:
        run_id, dot, suffix = name.rpartition(".")
        if f"{dot}{suffix}" in suffixes and is_run_id_prefix(run_id):
            yield os.path.join(index.folder, name), run_id


def _spec_objects(path: str, named: RunObjects) -> None:
    doc = read_json(path)
    datasets = doc.get("datasets") if isinstance(doc, dict) else None
    for dataset in (datasets or {}).values():
        if isinstance(dataset, dict) and isinstance(dataset.get("oid"), str):
            named.trees.add(dataset["oid"])


def _journal_objects(path: str, named: RunObjects) -> None:
    with open(path, encoding="utf-8") as file:
        for line in file:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill
            outputs = event.get("outputs") if isinstance(event, dict) else None
            for artifact in (outputs or {}).values():
                if isinstance(artifact, dict) and isinstance(artifact.get("oid"), str):
                    kind = named.trees if artifact.get("kind") == "tree" else named.blobs
                    kind.add(artifact["oid"])


def read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


@dataclass
class LiveSet:
    oids: set[str]
    unresolved: list[str]  # kept runs whose record was found in no store


def live_objects(project: Project, kept: KeptRuns, stores: list[ObjectStore]) -> LiveSet:
    """Every object the kept runs need, records read from the local index or
    else from the first of ``stores`` holding them; trees expanded to their
    blobs from whichever store holds them."""
    algorithm = project.config.core.hash
    index = RunIndex(project.repro_dir)
    closure = RunObjects()
    closure.update(kept.named)
    unresolved = []
    for run_id in sorted(kept.reasons):
        named = kept.records.get(run_id, set())
        closure.records |= named
        record = _find_record(index, run_id, named, stores)
        if record is None:
            if named:  # not a run in flight, which has no record yet
                unresolved.append(run_id)
            continue
        closure.update(run_objects(record, algorithm))
        closure.records.add(record_oid(record, algorithm))
    unknown = kept.outputs - closure.blobs - closure.trees
    closure.blobs |= unknown
    closure.trees |= {oid for oid in unknown if _is_tree(stores, oid)}
    return LiveSet(closure.all() | _blobs_of(stores, closure.trees), unresolved)


def _find_record(
    index: RunIndex, run_id: str, oids: Iterable[str], stores: list[ObjectStore]
) -> RunRecord | None:
    if index.has(run_id):
        return index.load(run_id)
    for oid in sorted(oids):
        for store in stores:
            try:
                data = store.read(oid)
            except ObjectNotFoundError:
                continue
            return parse_record(data, f"record {oid} of run {run_id}")
    return None


def _is_tree(stores: list[ObjectStore], oid: str) -> bool:
    """Whether ``oid`` names a tree, from the first bytes of the first copy."""
    for store in stores:
        try:
            first = next(iter(store.read_chunks(oid, verify=False)), b"")
        except ObjectNotFoundError:
            continue
        return first.startswith(TREE_PREFIX)
    return False


def _blobs_of(stores: list[ObjectStore], trees: Iterable[str]) -> set[str]:
    """The blobs the trees list, each tree read from the first store holding
    it. An object that is not a tree (a spec's reference manifest) lists
    none; one whose bytes do not match its id stops gc (``CorruptObjectError``):
    its blobs cannot be known."""
    blobs: set[str] = set()
    for oid in trees:
        for store in stores:
            try:
                tree = read_tree(store, oid)
            except ObjectNotFoundError:
                continue
            except InvalidTreeError:
                break
            blobs.update(entry.oid for entry in tree.entries)
            break
    return blobs
