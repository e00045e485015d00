"""An artifact's lineage across runs: the step that made it, the runs that
reused or re-made it, the steps that consumed it, the models it is a version
of, and its ancestry back to the data snapshots, as data and as a Graphviz
drawing.

Objects are content-addressed, so the same bytes made by different runs are
one artifact: its producer is the first run that executed the step making
it; a replay that executed it again re-made it, and a run whose step was
cached reused it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from repro.errors import ReproError
from repro.lineage.runs import RunIndex
from repro.models.modelsfile import ModelsFile, read_models_file
from repro.models.registry import models_path
from repro.models.versions import collect_versions
from repro.views.formats import human_size, short_oid
from repro.views.graphviz import dot_quote, dot_tooltip, dot_url, render_svg

if TYPE_CHECKING:
    from repro.lineage.records import ArtifactRecord, InputSnapshot, RunRecord
    from repro.project import Project

__all__ = [
    "MIN_PREFIX",
    "AmbiguousArtifactError",
    "AncestorStep",
    "Ancestry",
    "ArtifactFacts",
    "ArtifactIdError",
    "ArtifactLineage",
    "DataSource",
    "Flow",
    "Linker",
    "ModelUse",
    "StepUse",
    "UnknownArtifactError",
    "ancestry_dot",
    "ancestry_svg",
    "artifact_lineage",
]

MIN_PREFIX = 8
_HEX = re.compile(r"[0-9a-f]+")

# Builds the path of a page (a route name and its values), or None where
# there are no pages to link to.
Linker = Callable[..., str | None]


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
class ArtifactLineage:
    artifact: ArtifactFacts
    producer: StepUse | None  # None for a data snapshot
    remade: tuple[StepUse, ...]  # later executions that made the same bytes (replays)
    reuses: tuple[StepUse, ...]  # cached steps that took it from an earlier run
    consumers: tuple[StepUse, ...]
    models: tuple[ModelUse, ...]
    ancestry: Ancestry


@dataclass(frozen=True)
class _Made:
    record: RunRecord
    step: str
    name: str
    artifact: ArtifactRecord


@dataclass
class _Index:
    """Every artifact the local records mention, by id, in run order."""

    records: list[RunRecord]
    made: dict[str, list[_Made]] = field(default_factory=dict)
    consumed: dict[str, list[StepUse]] = field(default_factory=dict)
    snapshots: dict[str, InputSnapshot] = field(default_factory=dict)

    @classmethod
    def build(cls, records: Iterable[RunRecord]) -> _Index:
        index = cls(sorted(records, key=lambda record: record.id))
        for record in index.records:
            index._add(record)
        return index

    def _add(self, record: RunRecord) -> None:
        for snapshot in record.inputs.values():
            self.snapshots.setdefault(snapshot.oid, snapshot)
        for name, step in record.ordered_steps():
            for output, artifact in [*step.outputs.items(), *step.artifacts.items()]:
                self.made.setdefault(artifact.oid, []).append(_Made(record, name, output, artifact))
            inputs = step.fingerprints.inputs if step.fingerprints is not None else {}
            for argument, oid in inputs.items():
                self.consumed.setdefault(oid, []).append(_use(record, name, argument))

    def resolve(self, prefix: str) -> str:
        known = self.made.keys() | self.snapshots.keys()
        if prefix in known:
            return prefix
        matches = sorted(oid for oid in known if oid.startswith(prefix))
        if not matches:
            raise UnknownArtifactError(prefix)
        if len(matches) > 1:
            raise AmbiguousArtifactError(prefix, matches)
        return matches[0]

    def origin(self, oid: str) -> _Made | None:
        """The first execution that made ``oid`` (else the first step
        recording it, when the run that executed it is not here)."""
        made = self.made.get(oid, [])
        executed = [m for m in made if m.record.steps[m.step].status == "executed"]
        first = executed or made
        return first[0] if first else None

    def source(self, oid: str, record: RunRecord | None) -> DataSource | None:
        """The data snapshot ``oid`` is, as ``record`` (the run that read it) names it."""
        own = [s for s in record.inputs.values() if s.oid == oid] if record is not None else []
        snapshot = own[0] if own else self.snapshots.get(oid)
        return _data_source(snapshot) if snapshot is not None else None


def _use(record: RunRecord, step: str, name: str) -> StepUse:
    found = record.steps[step]
    return StepUse(
        run=record.id,
        pipeline=record.pipeline,
        created=record.created,
        step=step,
        name=name,
        status=found.status,
        cached_from=found.cached_from,
        replay_of=record.replay_of,
    )


def _data_source(snapshot: InputSnapshot) -> DataSource:
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


def artifact_lineage(project: Project, oid: str) -> ArtifactLineage:
    """The lineage of the artifact ``oid`` (a whole id or a unique prefix of
    at least MIN_PREFIX hex digits) across every local run record."""
    prefix = _check_prefix(oid)
    index = _Index.build(RunIndex(project.repro_dir).records())
    found = index.resolve(prefix)
    made = index.made.get(found, [])
    uses = [_use(m.record, m.step, m.name) for m in made]
    executed = [use for use in uses if use.status == "executed"]
    origin = index.origin(found)
    return ArtifactLineage(
        artifact=_root_facts(index, found, origin),
        producer=executed[0] if executed else None,
        remade=tuple(executed[1:]),
        reuses=tuple(use for use in uses if use.status != "executed"),
        consumers=tuple(index.consumed.get(found, [])),
        models=_models(project, index.records, found),
        ancestry=_ancestry(index, found),
    )


def _root_facts(index: _Index, oid: str, origin: _Made | None) -> ArtifactFacts:
    if origin is not None:
        return _facts(origin.artifact)
    source = index.source(oid, None)
    assert source is not None  # resolve() knows only made and snapshotted ids
    return _snapshot_facts(source)


def _models(project: Project, records: list[RunRecord], oid: str) -> tuple[ModelUse, ...]:
    promotions = read_models_file(models_path(project))
    versions = sorted(
        (version for version in collect_versions(records) if version.oid == oid),
        key=lambda version: version.name,
    )
    return tuple(ModelUse(v.name, v.runs, _aliases_to(promotions, v.name, oid)) for v in versions)


def _aliases_to(promotions: ModelsFile, name: str, oid: str) -> tuple[str, ...]:
    aliases = promotions.aliases(name).items()
    return tuple(sorted(alias for alias, promotion in aliases if promotion.version == oid))


@dataclass
class _Walk:
    index: _Index
    artifacts: list[ArtifactFacts] = field(default_factory=list)
    steps: dict[tuple[str, str], AncestorStep] = field(default_factory=dict)
    sources: list[DataSource] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def visit(self, oid: str, reader: RunRecord | None) -> list[tuple[str, RunRecord]]:
        """Record ``oid``; the inputs of the step that made it, to visit next."""
        origin = self.index.origin(oid)
        if origin is None:
            source = self.index.source(oid, reader)
            if source is None:
                self.unknown.append(oid)
            else:
                self.sources.append(source)
            return []
        self.artifacts.append(_facts(origin.artifact))
        step = self._step(origin)
        return [(flow.oid, origin.record) for flow in step.inputs]

    def _step(self, origin: _Made) -> AncestorStep:
        key = (origin.record.id, origin.step)
        known = self.steps.get(key)
        output = Flow(origin.name, origin.artifact.oid)
        if known is None:
            fingerprints = origin.record.steps[origin.step].fingerprints
            inputs = sorted((fingerprints.inputs if fingerprints is not None else {}).items())
            known = AncestorStep(key[0], key[1], tuple(Flow(name, oid) for name, oid in inputs), ())
        self.steps[key] = AncestorStep(
            known.run, known.step, known.inputs, (*known.outputs, output)
        )
        return known


def _ancestry(index: _Index, oid: str) -> Ancestry:
    walk = _Walk(index)
    pending: deque[tuple[str, RunRecord | None]] = deque([(oid, None)])
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


def ancestry_dot(lineage: ArtifactLineage, link: Linker) -> str:
    """The ancestry as DOT: data snapshots, steps and artifacts from left to
    right, each linked to its page when ``link`` gives one."""
    ancestry = lineage.ancestry
    nodes: dict[str, str] = {}
    lines = [
        "digraph ancestry {",
        '  graph [rankdir=LR, bgcolor="transparent", nodesep=0.3, ranksep=0.45];',
        '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor="#ffffff"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#5f6b7a"];',
    ]
    for source in ancestry.sources:
        lines.append(_data_node(nodes, source, link))
    for artifact in ancestry.artifacts:
        lines.append(_artifact_node(nodes, artifact, link, artifact.oid == lineage.artifact.oid))
    for unknown in ancestry.unknown:
        label = f"{short_oid(unknown)}\n(no local record)"
        lines.append(_node(nodes, unknown, label, "shape=note, style=dashed", None))
    for step in ancestry.steps:
        lines.extend(_step_lines(nodes, step, link))
    lines.append("}")
    return "\n".join(lines) + "\n"


def ancestry_svg(lineage: ArtifactLineage, link: Linker) -> str:
    """The ancestry drawn by Graphviz, an ``<svg>`` element."""
    return render_svg(ancestry_dot(lineage, link))


def _node(nodes: dict[str, str], key: str, label: str, attrs: str, href: str | None) -> str:
    # Node names are made up here, so that no user text is a DOT identifier.
    name = nodes.setdefault(key, f"n{len(nodes)}")
    url = f", URL={dot_url(href)}" if href else ""
    # Graphviz shows a label's line breaks as "\\n" in the tooltip it derives.
    tooltip = dot_tooltip(label.replace("\n", " · "))
    return f"  {name} [{attrs}, label={dot_quote(label)}, tooltip={tooltip}{url}];"


def _data_node(nodes: dict[str, str], source: DataSource, link: Linker) -> str:
    files = "1 file" if source.files == 1 else f"{source.files} files"
    label = f"{source.uri}\n{files} · {human_size(source.bytes)}"
    href = link("tree", oid=source.oid) if source.mode == "copy" else None
    return _node(nodes, source.oid, label, "shape=cylinder", href)


def _artifact_node(nodes: dict[str, str], artifact: ArtifactFacts, link: Linker, root: bool) -> str:
    label = f"{artifact.type}\n{short_oid(artifact.oid)} · {human_size(artifact.size)}"
    attrs = 'shape=note, penwidth=2, fillcolor="#e8eefb"' if root else "shape=note"
    return _node(nodes, artifact.oid, label, attrs, link("artifact", oid=artifact.oid))


def _step_lines(nodes: dict[str, str], step: AncestorStep, link: Linker) -> list[str]:
    key = f"step:{step.run}/{step.step}"
    attrs = 'shape=box, style="rounded,filled", fillcolor="#f4f6f9"'
    label = f"{step.step}\nrun {step.run}"
    lines = [_node(nodes, key, label, attrs, link("run", run=step.run))]
    name = nodes[key]
    lines += [f"  {nodes[f.oid]} -> {name} [label={dot_quote(f.name)}];" for f in step.inputs]
    lines += [f"  {name} -> {nodes[f.oid]} [label={dot_quote(f.name)}];" for f in step.outputs]
    return lines
