"""A quick read of every run record for what the pages look up across runs
(pipeline, status, commit, tags, metric names, each step's input and output
ids, the data snapshots, the model versions, what a replay replayed and its
verdict), and the lookups built from those digests: the replays of a run,
the steps that made or consumed an object, the runs that read a snapshot,
every model's versions. A page then loads the records it shows, no others.

Three things keep it fast with thousands of runs. pydantic-core parses the
JSON in Rust and builds Python objects for those fields only. Each digest
is kept in memory under its file's (mtime_ns, size), so a record is read
once per process until it changes (records are replaced by rename, never
edited in place, so a change always changes the key), and while none
changed the same ``RunSummaries`` is handed out, its lookups built once.
And what lasts is kept out of the garbage collector's way (``_lasting``).
Nothing is written anywhere: the UI is read-only.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, NotRequired, cast

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from repro.lineage.records import RunRecord, RunStatus, StepStatus
from repro.lineage.runs import RunIndex, parse_record
from repro.models.versions import Version, collect_versions

if TYPE_CHECKING:
    from repro.project import Project

__all__ = [
    "ModelDigest",
    "RunDigest",
    "RunSummaries",
    "SnapshotDigest",
    "StepDigest",
    "StepFlow",
    "run_digests",
    "run_summaries",
]

_SUFFIX: Final = ".json"


# Steps, snapshots, models and flows are named tuples: there are tens of
# thousands of them, and a tuple is made in half the time of a dataclass.
class StepDigest(NamedTuple):
    name: str
    status: str
    cached_from: str | None
    inputs: tuple[tuple[str, str], ...]  # argument -> object id, by argument
    outputs: tuple[tuple[str, str], ...]  # output or logged artifact -> object id


class SnapshotDigest(NamedTuple):
    uri: str
    oid: str
    files: int
    bytes: int
    kind: str
    mode: str


class ModelDigest(NamedTuple):
    name: str
    version: str
    step: str
    output: str


@dataclass(frozen=True, eq=False)
class RunDigest:
    id: str
    pipeline: str
    status: str
    commit: str | None
    tags: frozenset[tuple[str, str]]  # the run's own and its steps' (a filter matches either)
    metrics: Mapping[str, frozenset[str]]  # step -> the names of the metrics it logged
    created: str
    steps: tuple[StepDigest, ...]  # in definition order
    snapshots: tuple[SnapshotDigest, ...]
    models: tuple[ModelDigest, ...]
    replay_of: str | None
    verdict: str | None  # a replay's verification: identical or different

    def metric_steps(self, metric: str) -> list[str]:
        """The steps whose value ``metric`` names, read as
        ``repro.experiments.metrics.step_metrics`` reads the name."""
        step, dot, name = metric.partition(".")
        if dot and step in self.metrics:
            return [step] if name in self.metrics[step] else []
        return [step for step, names in self.metrics.items() if metric in names]


class StepFlow(NamedTuple):
    """Step ``step`` of run ``run`` made object ``name`` (an output) or
    took it (an argument)."""

    run: RunDigest
    step: StepDigest
    name: str


# The (name, object id) pairs of a step that one lookup indexes.
_Pick = Callable[[StepDigest], tuple[tuple[str, str], ...]]


@dataclass(frozen=True, eq=False)
class RunSummaries:
    """The digests of every run, newest first, and lookups across them,
    each built the first time it is asked for."""

    digests: tuple[RunDigest, ...]

    @cached_property
    def replays(self) -> Mapping[str, tuple[RunDigest, ...]]:
        """Run id -> the runs that replayed it, newest first."""
        found: dict[str, list[RunDigest]] = {}
        for digest in self.digests:
            if digest.replay_of is not None:
                found.setdefault(digest.replay_of, []).append(digest)
        return {run: tuple(replays) for run, replays in found.items()}

    @cached_property
    def made(self) -> Mapping[str, tuple[StepFlow, ...]]:
        """Object id -> the steps that recorded it as an output, oldest run first."""
        return self._flows(lambda step: step.outputs)

    @cached_property
    def consumed(self) -> Mapping[str, tuple[StepFlow, ...]]:
        """Object id -> the steps that took it as an input, oldest run first."""
        return self._flows(lambda step: step.inputs)

    @cached_property
    def snapshotted(self) -> Mapping[str, tuple[tuple[RunDigest, SnapshotDigest], ...]]:
        """Snapshot id -> the runs that read it, oldest first, and how each named it."""
        found: dict[str, list[tuple[RunDigest, SnapshotDigest]]] = {}
        with _lasting():
            for digest in reversed(self.digests):
                for snapshot in digest.snapshots:
                    found.setdefault(snapshot.oid, []).append((digest, snapshot))
            return {oid: tuple(runs) for oid, runs in found.items()}

    @cached_property
    def versions(self) -> tuple[Version, ...]:
        """Every model version: the most recently recorded first."""
        return tuple(collect_versions(self.digests))

    def _flows(self, pick: _Pick) -> dict[str, tuple[StepFlow, ...]]:
        found: dict[str, list[StepFlow]] = {}
        with _lasting():
            for digest in reversed(self.digests):
                for step in digest.steps:
                    for name, oid in pick(step):
                        found.setdefault(oid, []).append(StepFlow(digest, step, name))
            return {oid: tuple(flows) for oid, flows in found.items()}


@dataclass(frozen=True)
class _Entry:
    mtime_ns: int
    size: int
    digest: RunDigest


@dataclass(frozen=True)
class _Folder:
    entries: dict[str, _Entry]
    summaries: RunSummaries


# folder of run records -> its digests as last read. A folder's state is
# replaced at once, so concurrent requests never see one half-built; two
# of them at worst read the same file twice.
_folders: dict[str, _Folder] = {}


def run_summaries(project: Project) -> RunSummaries:
    """The digests of every run recorded in ``project``; a damaged or
    newer record is the error that loading it would be."""
    folder = RunIndex(project.repro_dir).folder
    known = _folders.get(folder)
    entries = known.entries if known is not None else {}
    current = {run_id: _unchanged(folder, run_id, entries.get(run_id)) for run_id in _ids(folder)}
    if known is not None and len(current) == len(entries) and None not in current.values():
        return known.summaries
    with _lasting():
        read = {run_id: entry or _read(folder, run_id) for run_id, entry in current.items()}
        found = {run_id: entry for run_id, entry in read.items() if entry is not None}
        digests = tuple(found[run_id].digest for run_id in sorted(found, reverse=True))
    summaries = RunSummaries(digests)
    _folders[folder] = _Folder(found, summaries)
    return summaries


def run_digests(project: Project) -> list[RunDigest]:
    """A digest of every run recorded in ``project``, newest first."""
    return list(run_summaries(project).digests)


@contextmanager
def _lasting() -> Iterator[None]:
    """Make objects that last (digests, lookups) out of the garbage
    collector's way. A collection goes over every object that could hold a
    cycle, and the digests of 10,000 runs are a quarter of a million of them
    (0.2 s a collection here): none is collected while they are made, then
    they are frozen (``gc.freeze``), never gone over again. They hold no
    cycle, so the digests of a record that changed are freed all the same.
    What else is alive then is frozen with them: the garbage is collected
    first, so that no cycle already unreachable is kept. The collector is
    left on or off as it was found."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _ids(folder: str) -> list[str]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    cut = len(_SUFFIX)
    return [name[:-cut] for name in names if name.endswith(_SUFFIX) and not name.startswith(".")]


def _unchanged(folder: str, run_id: str, known: _Entry | None) -> _Entry | None:
    """``known``, if the record's file is as it was when ``known`` was read."""
    if known is None:
        return None
    try:
        stat = os.stat(os.path.join(folder, run_id + _SUFFIX))
    except FileNotFoundError:
        return None
    return known if (stat.st_mtime_ns, stat.st_size) == (known.mtime_ns, known.size) else None


def _read(folder: str, run_id: str) -> _Entry | None:
    """The digest of a record as its file is now; None if the file went
    since the folder was listed (``repro gc``)."""
    path = os.path.join(folder, run_id + _SUFFIX)
    try:
        # The key comes from the open file, so it always describes the bytes read.
        with open(path, "rb") as file:
            stat = os.fstat(file.fileno())
            data = file.read()
    except FileNotFoundError:
        return None
    return _Entry(stat.st_mtime_ns, stat.st_size, _digest(data, path))


def _digest(data: bytes, where: str) -> RunDigest:
    try:
        fields = _fields().validate_json(data)
    except ValidationError:
        # The full parse names what is wrong (or, should it accept what the
        # quick one refused, gives the fields all the same).
        return _from_record(parse_record(data, where))
    return _from_fields(fields)


def _from_record(record: RunRecord) -> RunDigest:
    # The record's JSON form is what the quick parse reads.
    return _from_fields(cast(_RunFields, record.to_json_dict()))


def _from_fields(fields: _RunFields) -> RunDigest:
    tags = set(fields.get("tags", {}).items())
    metrics = {}
    ordered = sorted(fields["steps"].items(), key=lambda item: item[1]["position"])
    for name, step in ordered:
        tags.update(step.get("tags", {}).items())
        if step.get("metrics"):
            metrics[name] = frozenset(step["metrics"])
    verification = fields.get("verification")
    return RunDigest(
        id=fields["id"],
        pipeline=fields["pipeline"],
        status=fields["status"],
        commit=fields["git"]["commit"],
        tags=frozenset(tags),
        metrics=metrics,
        created=fields["created"],
        steps=tuple([_step(name, step) for name, step in ordered]),
        snapshots=tuple([_snapshot(snapshot) for snapshot in fields["inputs"].values()]),
        models=tuple([ModelDigest(**model) for model in fields.get("models", [])]),
        replay_of=fields.get("replay_of"),
        verdict=verification["verdict"] if verification else None,
    )


def _step(name: str, step: _StepFields) -> StepDigest:
    fingerprints = step["fingerprints"]
    inputs = tuple(sorted(fingerprints["inputs"].items())) if fingerprints else ()
    made = [*step.get("outputs", {}).items(), *step.get("artifacts", {}).items()]
    outputs = tuple([(output, artifact["oid"]) for output, artifact in made])
    return StepDigest(name, step["status"], step.get("cached_from"), inputs, outputs)


def _snapshot(snapshot: _SnapshotFields) -> SnapshotDigest:
    kind, mode = snapshot.get("kind", "folder"), snapshot.get("mode", "copy")
    return SnapshotDigest(
        snapshot["uri"], snapshot["oid"], snapshot["files"], snapshot["bytes"], kind, mode
    )


# The fields of a run record a digest needs. Typed dicts, not models:
# pydantic-core builds nothing else, and builds these as plain dicts (models
# per step cost twice as much).
class _GitFields(TypedDict):
    commit: str | None


class _ArtifactFields(TypedDict):
    oid: str


class _FingerprintFields(TypedDict):
    inputs: dict[str, str]


class _StepFields(TypedDict):
    position: int
    status: StepStatus
    fingerprints: _FingerprintFields | None
    cached_from: NotRequired[str | None]
    outputs: NotRequired[dict[str, _ArtifactFields]]
    artifacts: NotRequired[dict[str, _ArtifactFields]]
    tags: NotRequired[dict[str, str]]
    metrics: NotRequired[dict[str, float]]


class _SnapshotFields(TypedDict):
    uri: str
    oid: str
    files: int
    bytes: int
    kind: NotRequired[Literal["file", "folder"]]
    mode: NotRequired[Literal["copy", "reference"]]


class _ModelFields(TypedDict):
    name: str
    version: str
    step: str
    output: str


class _VerificationFields(TypedDict):
    verdict: Literal["identical", "different"]


class _RunFields(TypedDict):
    schema: Literal["repro.run/v1"]
    id: str
    pipeline: str
    status: RunStatus
    created: str
    git: _GitFields
    inputs: dict[str, _SnapshotFields]
    steps: dict[str, _StepFields]
    tags: NotRequired[dict[str, str]]
    models: NotRequired[list[_ModelFields]]
    replay_of: NotRequired[str | None]
    verification: NotRequired[_VerificationFields | None]


@cache
def _fields() -> TypeAdapter[_RunFields]:
    return TypeAdapter(_RunFields)
