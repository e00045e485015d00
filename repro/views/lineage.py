"""An artifact's lineage across runs: the step that made it, the runs that
reused or re-made it, the steps that consumed it, the models it is a version
of, and its ancestry back to the data snapshots (drawn by
``repro.views.lineage_graph``).

Objects are content-addressed, so the same bytes made by different runs are
one artifact: its producer is the first run that executed the step making
it; a replay that executed it again re-made it, and a run whose step was
cached reused it.

Every run is looked at through its digest (``repro.views.run_summaries``);
the only records loaded are those of the runs whose steps first made the
artifacts of the ancestry, for their types and sizes. Lists of runs show
the newest ``MAX_USES`` and count the rest.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from repro.errors import ReproError
from repro.lineage.runs import RunIndex
from repro.models.modelsfile import ModelsFile, read_models_file
from repro.models.registry import models_path
from repro.views.run_summaries import (
    RunDigest,
    RunSummaries,
    SnapshotDigest,
    StepFlow,
    run_summaries,
)

if TYPE_CHECKING:
    from repro.lineage.records import ArtifactRecord, RunRecord
    from repro.project import Project

__all__ = [
    "MAX_USES",
    "MIN_PREFIX",
    "AmbiguousArtifactError",
    "AncestorStep",
    "Ancestry",
    "ArtifactFacts",
    "ArtifactIdError",
    "ArtifactLineage",
    "DataSource",
    "Flow",
    "ModelUse",
    "StepUse",
    "UnknownArtifactError",
    "Uses",
    "artifact_lineage",
]

MIN_PREFIX = 8
MAX_USES: Final = 50
_HEX = re.compile(r"[0-9a-f]+")


class ArtifactIdError(ReproError, LookupError):
    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(
            f"{text!r} is not an artifact id: give its hex digits (at least {MIN_PREFIX})"
        )


class UnknownArtifactError(ReproError, LookupError):
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        super().__init__(
            f"no recorded run made or snapshotted an artifact {prefix!r}; "
            "see `repro runs list` (or `repro pull` the records made elsewhere)"
        )


class AmbiguousArtifactError(ReproError, LookupError):
    def __init__(self, prefix: str, matches: list[str]) -> None:
        self.prefix = prefix
        self.matches = matches
        shown = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
        super().__init__(
            f"{prefix!r} matches {len(matches)} artifacts ({shown}); give more characters"
        )


@dataclass(frozen=True)
class ArtifactFacts:
    oid: str
    kind: str  # "blob" or "tree"
    type: str  # the Python type stored, or "data snapshot"
    size: int
    materializer: str | None  # None for a data snapshot
    version: str | None = None  # the materializer's


@dataclass(frozen=True)
class StepUse:
    """A step of a run that made, reused or consumed the artifact (as
    output or argument ``name``)."""

    run: str
    pipeline: str
    created: str
    step: str
    name: str
    status: str
    cached_from: str | None = None
    replay_of: str | None = None


@dataclass(frozen=True)
class ModelUse:
    name: str
    runs: tuple[str, ...]  # the succeeded runs that recorded it as a version
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class DataSource:
    uri: str
    oid: str
    files: int
    bytes: int
    kind: str  # "file" or "folder"
    mode: str  # "copy": ``oid`` is a tree; "reference": a manifest of remote objects


@dataclass(frozen=True)
class Flow:
    name: str  # an argument or output name
    oid: str


@dataclass(frozen=True)
class AncestorStep:
    run: str
    step: str
    inputs: tuple[Flow, ...]
    outputs: tuple[Flow, ...]  # those in the ancestry


@dataclass(frozen=True)
class Ancestry:
    artifacts: tuple[ArtifactFacts, ...]  # the artifact and those it came from, nearest first
    steps: tuple[AncestorStep, ...]
    sources: tuple[DataSource, ...]  # the data snapshots reached
    unknown: tuple[str, ...]  # inputs that no local record made or snapshotted


@dataclass(frozen=True)
class Uses:
    """The steps that met the artifact one way: the newest ``MAX_USES``
    of them, and how many there are."""

    shown: tuple[StepUse, ...]  # newest first
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


@dataclass(frozen=True)
class ArtifactLineage:
    artifact: ArtifactFacts
    producer: StepUse | None  # None for a data snapshot
    remade: Uses  # later executions that made the same bytes (replays)
    reuses: Uses  # cached steps that took it from an earlier run
    consumers: Uses
    models: tuple[ModelUse, ...]
    ancestry: Ancestry


@dataclass
class _Records:
    """The records loaded for the page, each once."""

    index: RunIndex
    loaded: dict[str, RunRecord] = field(default_factory=dict)

    def artifact(self, flow: StepFlow, oid: str) -> ArtifactRecord:
        """The record of object ``oid`` as ``flow`` made it."""
        record = self.loaded.get(flow.run.id)
        if record is None:
            record = self.loaded[flow.run.id] = self.index.load(flow.run.id)
        step = record.steps[flow.step.name]
        made = [*step.outputs.items(), *step.artifacts.items()]
        return next(artifact for name, artifact in made if (name, artifact.oid) == (flow.name, oid))


def _use(flow: StepFlow) -> StepUse:
    return StepUse(
        run=flow.run.id,
        pipeline=flow.run.pipeline,
        created=flow.run.created,
        step=flow.step.name,
        name=flow.name,
        status=flow.step.status,
        cached_from=flow.step.cached_from,
        replay_of=flow.run.replay_of,
    )


def _newest(flows: Sequence[StepFlow]) -> Uses:
    """``flows`` (oldest run first) as uses, the newest ``MAX_USES`` shown."""
    return Uses(tuple(_use(flow) for flow in reversed(flows[-MAX_USES:])), len(flows))


def _data_source(snapshot: SnapshotDigest) -> DataSource:
    return DataSource(
        snapshot.uri, snapshot.oid, snapshot.files, snapshot.bytes, snapshot.kind, snapshot.mode
    )


def _facts(artifact: ArtifactRecord) -> ArtifactFacts:
    return ArtifactFacts(**artifact.model_dump())  # the same fields


def _snapshot_facts(source: DataSource) -> ArtifactFacts:
    kind = "blob" if source.mode == "reference" else "tree"
    return ArtifactFacts(source.oid, kind, "data snapshot", source.bytes, None)


def _check_prefix(text: str) -> str:
    """``text`` as a lower-case id prefix, refused unless hex and long enough."""
    prefix = text.strip().lower()
    if len(prefix) < MIN_PREFIX or _HEX.fullmatch(prefix) is None:
        raise ArtifactIdError(text)
    return prefix


def _resolve(summaries: RunSummaries, prefix: str) -> str:
    if prefix in summaries.made or prefix in summaries.snapshotted:
        return prefix
    known = [*summaries.made, *summaries.snapshotted]
    matches = sorted({oid for oid in known if oid.startswith(prefix)})
    if not matches:
        raise UnknownArtifactError(prefix)
    if len(matches) > 1:
        raise AmbiguousArtifactError(prefix, matches)
    return matches[0]


def _origin(summaries: RunSummaries, oid: str) -> StepFlow | None:
    """The first execution that made ``oid`` (else the first step
    recording it, when the run that executed it is not here)."""
    made = summaries.made.get(oid, ())
    executed = [flow for flow in made if flow.step.status == "executed"]
    first = executed or made
    return first[0] if first else None


def _source(summaries: RunSummaries, oid: str, reader: RunDigest | None) -> DataSource | None:
    """The data snapshot ``oid`` is, as ``reader`` (the run that read it) names it."""
    own = [s for s in reader.snapshots if s.oid == oid] if reader is not None else []
    if own:
        return _data_source(own[0])
    readers = summaries.snapshotted.get(oid)
    return _data_source(readers[0][1]) if readers else None


def artifact_lineage(project: Project, oid: str) -> ArtifactLineage:
    """The lineage of the artifact ``oid`` (a whole id or a unique prefix of
    at least MIN_PREFIX hex digits) across every local run record."""
    prefix = _check_prefix(oid)
    summaries = run_summaries(project)
    found = _resolve(summaries, prefix)
    records = _Records(RunIndex(project.repro_dir))
    made = summaries.made.get(found, ())
    executed = [flow for flow in made if flow.step.status == "executed"]
    return ArtifactLineage(
        artifact=_root_facts(summaries, records, found),
        producer=_use(executed[0]) if executed else None,
        remade=_newest(executed[1:]),
        reuses=_newest([flow for flow in made if flow.step.status != "executed"]),
        consumers=_newest(summaries.consumed.get(found, ())),
        models=_models(project, summaries, found),
        ancestry=_ancestry(summaries, records, found),
    )


def _root_facts(summaries: RunSummaries, records: _Records, oid: str) -> ArtifactFacts:
    origin = _origin(summaries, oid)
    if origin is not None:
        return _facts(records.artifact(origin, oid))
    source = _source(summaries, oid, None)
    assert source is not None  # _resolve() knows only made and snapshotted ids
    return _snapshot_facts(source)


def _models(project: Project, summaries: RunSummaries, oid: str) -> tuple[ModelUse, ...]:
    promotions = read_models_file(models_path(project))
    versions = sorted(
        (version for version in summaries.versions if version.oid == oid),
        key=lambda version: version.name,
    )
    return tuple(ModelUse(v.name, v.runs, _aliases_to(promotions, v.name, oid)) for v in versions)


def _aliases_to(promotions: ModelsFile, name: str, oid: str) -> tuple[str, ...]:
    aliases = promotions.aliases(name).items()
    return tuple(sorted(alias for alias, promotion in aliases if promotion.version == oid))


@dataclass
class _Walk:
    summaries: RunSummaries
    records: _Records
    artifacts: list[ArtifactFacts] = field(default_factory=list)
    steps: dict[tuple[str, str], AncestorStep] = field(default_factory=dict)
    sources: list[DataSource] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def visit(self, oid: str, reader: RunDigest | None) -> list[tuple[str, RunDigest]]:
        """Record ``oid``; the inputs of the step that made it, to visit next."""
        origin = _origin(self.summaries, oid)
        if origin is None:
            source = _source(self.summaries, oid, reader)
            if source is None:
                self.unknown.append(oid)
            else:
                self.sources.append(source)
            return []
        self.artifacts.append(_facts(self.records.artifact(origin, oid)))
        self._add_step(origin, oid)
        return [(input_oid, origin.run) for _, input_oid in origin.step.inputs]

    def _add_step(self, origin: StepFlow, oid: str) -> None:
        key = (origin.run.id, origin.step.name)
        known = self.steps.get(key)
        inputs = tuple(Flow(name, made) for name, made in origin.step.inputs)
        outputs = known.outputs if known is not None else ()
        self.steps[key] = AncestorStep(*key, inputs, (*outputs, Flow(origin.name, oid)))


def _ancestry(summaries: RunSummaries, records: _Records, oid: str) -> Ancestry:
    walk = _Walk(summaries, records)
    pending: deque[tuple[str, RunDigest | None]] = deque([(oid, None)])
    seen = {oid}
    while pending:
        for parent, reader in walk.visit(*pending.popleft()):
            if parent not in seen:
                seen.add(parent)
                pending.append((parent, reader))
    return Ancestry(
        tuple(walk.artifacts),
        tuple(walk.steps.values()),
        tuple(walk.sources),
        tuple(walk.unknown),
    )
