"""Everything the run page and ``repro report`` show of one run: its pins,
its steps with their cache decisions, outputs with previews, metrics, logs,
its DAG, and the replays that verified it (or, for a replay, the run it
reproduced and the verdict).

Reads the project only: the run index, the local store and the config.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Final

from repro.lineage.records import ArtifactRecord, RunRecord, StepRecord
from repro.lineage.runs import RunIndex, parse_record
from repro.materialize.base import MaterializeOptions
from repro.project import Project
from repro.store import ObjectStore
from repro.views.dag import dag_svg, step_decision
from repro.views.graphviz import GraphvizFailedError, GraphvizMissingError
from repro.views.previews import (
    CappedText,
    NotePreview,
    Preview,
    absent_note,
    preview_artifact,
    read_capped_text,
)

__all__ = [
    "EnvironmentPins",
    "GitPins",
    "LogView",
    "MetricView",
    "OutputView",
    "ParamPin",
    "Pins",
    "ReplayView",
    "RunDetail",
    "SnapshotPin",
    "StepView",
    "VerificationView",
    "run_detail",
]

DIFF_LIMIT: Final = 64 * 1024
LOG_LIMIT: Final = 64 * 1024


@dataclass(frozen=True)
class StoredText:
    """A text object of the run (a diff, a log): its first bytes, or why not."""

    oid: str
    text: CappedText | None
    note: NotePreview | None


@dataclass(frozen=True)
class GitPins:
    commit: str | None
    branch: str | None
    dirty: bool
    diff: StoredText | None  # the uncommitted diff of a dirty run


@dataclass(frozen=True)
class SnapshotPin:
    name: str
    uri: str
    oid: str
    kind: str
    mode: str
    files: int
    bytes: int


@dataclass(frozen=True)
class EnvironmentPins:
    oid: str
    python: str
    python_full: str
    platform: str
    lockfile: str | None
    lockfile_oid: str | None
    image: str | None
    distributions: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ParamPin:
    name: str
    value: str  # as JSON
    masked: bool  # the recorded value is not the real one


@dataclass(frozen=True)
class Pins:
    git: GitPins
    environment: EnvironmentPins
    snapshots: tuple[SnapshotPin, ...]
    params: tuple[ParamPin, ...]
    images: tuple[tuple[str, str], ...]  # step -> the image it ran in


@dataclass(frozen=True)
class OutputView:
    name: str
    oid: str
    kind: str
    type: str
    size: int
    materializer: str
    version: str
    model: str | None  # the model this output is a version of
    preview: Preview


@dataclass(frozen=True)
class LogView:
    step: str
    log: StoredText


@dataclass(frozen=True)
class MetricView:
    step: str
    name: str
    value: float

    @property
    def shown(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class StepView:
    name: str
    kind: str
    status: str
    started: str | None
    duration: float | None
    cache: bool
    cache_key: str | None
    decision: str
    reason: str | None
    cached_from: str | None
    error: str | None
    upstream: tuple[str, ...]
    command: str | None
    image: str | None
    outputs: tuple[OutputView, ...]
    artifacts: tuple[OutputView, ...]
    metrics: tuple[MetricView, ...]
    logged_params: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]
    log: StoredText | None


@dataclass(frozen=True)
class VerificationView:
    verdict: str
    steps: tuple[tuple[str, str], ...]  # step -> identical, different, failed or missing
    first_divergence: str | None
    explanation: str | None


@dataclass(frozen=True)
class ReplayView:
    run: str
    created: str
    status: str
    backend: str
    verification: VerificationView | None


@dataclass(frozen=True)
class RunDetail:
    id: str
    pipeline: str
    target: str
    backend: str
    status: str
    created: str
    finished: str | None
    pins: Pins
    steps: tuple[StepView, ...]
    metrics: tuple[MetricView, ...]
    tags: tuple[tuple[str, str], ...]
    dag_svg: str | None  # drawn by Graphviz, which escapes the text in it
    dag_note: str | None  # why there is no drawing
    logs: tuple[LogView, ...]
    replays: tuple[ReplayView, ...]  # the runs that replayed this one
    replay_of: str | None
    verification: VerificationView | None  # of this run, when it is a replay


def run_detail(project: Project, run: str) -> RunDetail:
    """The run ``run`` names (an id or a unique prefix)."""
    index = RunIndex(project.repro_dir)
    record = index.load(index.resolve(run))
    store = project.store()
    options = MaterializeOptions(
        allow_pickle=project.config.materialize.allow_pickle, algorithm=project.config.core.hash
    )
    steps = tuple(
        _step(store, options, record, name, step) for name, step in record.ordered_steps()
    )
    svg, note = _drawing(record)
    return RunDetail(
        id=record.id,
        pipeline=record.pipeline,
        target=record.target,
        backend=record.backend,
        status=record.status,
        created=record.created,
        finished=record.finished,
        pins=_pins(store, record),
        steps=steps,
        metrics=tuple(metric for step in steps for metric in step.metrics),
        tags=tuple(sorted(record.tags.items())),
        dag_svg=svg,
        dag_note=note,
        logs=tuple(LogView(step.name, step.log) for step in steps if step.log is not None),
        replays=_replays(index, record.id),
        replay_of=record.replay_of,
        verification=_verification(record),
    )


def _drawing(record: RunRecord) -> tuple[str | None, str | None]:
    try:
        return dag_svg(record), None
    except (GraphvizMissingError, GraphvizFailedError) as exc:
        return None, str(exc)


def _stored_text(store: ObjectStore, oid: str, limit: int) -> StoredText:
    absent = absent_note(store, oid)
    if absent is not None:
        return StoredText(oid, None, absent)
    return StoredText(oid, read_capped_text(store, oid, limit), None)


def _pins(store: ObjectStore, record: RunRecord) -> Pins:
    git = record.git
    diff = _stored_text(store, git.diff, DIFF_LIMIT) if git.diff else None
    snapshots = tuple(
        SnapshotPin(name, s.uri, s.oid, s.kind, s.mode, s.files, s.bytes)
        for name, s in sorted(record.inputs.items())
    )
    params = tuple(
        ParamPin(name, _json(value), name in record.masked_params)
        for name, value in sorted(record.params.items())
    )
    images = tuple((name, step.image) for name, step in record.ordered_steps() if step.image)
    git_pins = GitPins(git.commit, git.branch, git.dirty, diff)
    return Pins(git_pins, _environment(record), snapshots, params, images)


def _environment(record: RunRecord) -> EnvironmentPins:
    env = record.environment
    return EnvironmentPins(
        oid=env.oid,
        python=env.python,
        python_full=env.python_full,
        platform=env.platform,
        lockfile=env.lockfile,
        lockfile_oid=env.lockfile_oid,
        image=env.image,
        distributions=tuple(sorted(env.distributions.items())),
    )


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _step(
    store: ObjectStore,
    options: MaterializeOptions,
    record: RunRecord,
    name: str,
    step: StepRecord,
) -> StepView:
    models = {(m.step, m.output): m.name for m in record.models}

    def outputs(stored: dict[str, ArtifactRecord]) -> tuple[OutputView, ...]:
        return tuple(
            _output(store, options, output, artifact, models.get((name, output)))
            for output, artifact in sorted(stored.items())
        )

    return StepView(
        name=name,
        kind=step.kind,
        status=step.status,
        started=step.started,
        duration=step.duration,
        cache=step.cache,
        cache_key=step.cache_key,
        decision=step_decision(step),
        reason=step.reason,
        cached_from=step.cached_from,
        error=step.error,
        upstream=tuple(step.upstream),
        command=step.command,
        image=step.image,
        outputs=outputs(step.outputs),
        artifacts=outputs(step.artifacts),
        metrics=tuple(MetricView(name, key, value) for key, value in sorted(step.metrics.items())),
        logged_params=tuple(
            (key, _json(value)) for key, value in sorted(step.logged_params.items())
        ),
        tags=tuple(sorted(step.tags.items())),
        log=_stored_text(store, step.log, LOG_LIMIT) if step.log else None,
    )


def _output(
    store: ObjectStore,
    options: MaterializeOptions,
    name: str,
    artifact: ArtifactRecord,
    model: str | None,
) -> OutputView:
    return OutputView(
        name=name,
        oid=artifact.oid,
        kind=artifact.kind,
        type=artifact.type,
        size=artifact.size,
        materializer=artifact.materializer,
        version=artifact.version,
        model=model,
        preview=preview_artifact(store, artifact, options),
    )


def _verification(record: RunRecord) -> VerificationView | None:
    """The verdicts of replay ``record``, its steps in definition order."""
    verification = record.verification
    if verification is None:
        return None
    order = {name: step.position for name, step in record.steps.items()}
    steps = sorted(verification.steps.items(), key=lambda item: (order.get(item[0], -1), item[0]))
    return VerificationView(
        verdict=verification.verdict,
        steps=tuple(steps),
        first_divergence=verification.first_divergence,
        explanation=verification.explanation,
    )


def _replays(index: RunIndex, run_id: str) -> tuple[ReplayView, ...]:
    """The recorded runs that replayed ``run_id``. Records are canonical JSON,
    so only those holding ``"replay_of":"<run_id>"`` are parsed: with
    thousands of runs, parsing every record would cost more than the page."""
    mark = f'"replay_of":"{run_id}"'.encode()
    found = []
    for other in index.ids():
        path = os.path.join(index.folder, f"{other}.json")
        data = _read(path)
        if mark not in data:
            continue
        record = parse_record(data, path)
        if record.replay_of == run_id:
            found.append(_replay(record))
    return tuple(found)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:  # removed since the listing
        return b""


def _replay(record: RunRecord) -> ReplayView:
    return ReplayView(
        run=record.id,
        created=record.created,
        status=record.status,
        backend=record.backend,
        verification=_verification(record),
    )
