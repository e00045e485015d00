"""Everything the run page and ``repro report`` show of one run: its pins,
its steps with their cache decisions, outputs with previews, metrics, logs,
its DAG, and the replays that verified it (or, for a replay, the run it
reproduced and the verdict).

Reads the project only: the run index, the local store and the config. The
replays are found in the runs' digests (``repro.views.run_summaries``), and
only the newest ``MAX_REPLAYS`` of them are loaded and shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from repro.lineage.records import ArtifactRecord, RunRecord, StepRecord
from repro.lineage.runs import RunIndex, RunRecordInvalidError, RunRecordNewerSchemaError
from repro.materialize.base import MaterializeOptions
from repro.project import Project
from repro.store import ObjectStore
from repro.views.dag import dag_svg, step_decision
from repro.views.previews import (
    CappedText,
    NotePreview,
    Preview,
    absent_note,
    preview_artifact,
    read_capped_text,
)
from repro.views.run_summaries import run_summaries

__all__ = [
    "MAX_REPLAYS",
    "EnvironmentPins",
    "GitPins",
    "LogView",
    "MetricView",
    "OutputView",
    "ParamPin",
    "Pins",
    "ReplayView",
    "Replays",
    "RunDetail",
    "SnapshotPin",
    "StepView",
    "VerificationView",
    "run_detail",
]

DIFF_LIMIT: Final = 64 * 1024
LOG_LIMIT: Final = 64 * 1024
MAX_REPLAYS: Final = 20


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
class Replays:
    """The runs that replayed a run: the newest MAX_REPLAYS, and how many there are."""

    shown: tuple[ReplayView, ...]  # newest first
    total: int
    problem: str | None = None  # why they could not be looked for

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


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
    dag_svg: str  # an inline <svg> whose every text is escaped (repro.views.svg_graph)
    logs: tuple[LogView, ...]
    replays: Replays  # the runs that replayed this one
    replay_of: str | None
    verification: VerificationView | None  # of this run, when it is a replay


def run_detail(project: Project, run: str) -> RunDetail:
    """The run ``run`` names (an id or a unique prefix)."""
    index = RunIndex(project.repro_dir)
    record = index.load(index.resolve(run))
    store = project.store()
    steps = _steps(project, store, record)
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
        dag_svg=dag_svg(record),
        logs=tuple(LogView(step.name, step.log) for step in steps if step.log is not None),
        replays=_replays(project, index, record.id),
        replay_of=record.replay_of,
        verification=_verification(record),
    )


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


@dataclass(frozen=True)
class _Outputs:
    """What showing a step's outputs needs: the store, how to read what it
    holds, and which outputs are model versions."""

    store: ObjectStore
    options: MaterializeOptions
    models: Mapping[tuple[str, str], str]  # (step, output) -> model

    def views(self, step: str, stored: dict[str, ArtifactRecord]) -> tuple[OutputView, ...]:
        return tuple(
            self._view(output, artifact, self.models.get((step, output)))
            for output, artifact in sorted(stored.items())
        )

    def _view(self, name: str, artifact: ArtifactRecord, model: str | None) -> OutputView:
        return OutputView(
            name=name,
            oid=artifact.oid,
            kind=artifact.kind,
            type=artifact.type,
            size=artifact.size,
            materializer=artifact.materializer,
            version=artifact.version,
            model=model,
            preview=preview_artifact(self.store, artifact, self.options),
        )


def _steps(project: Project, store: ObjectStore, record: RunRecord) -> tuple[StepView, ...]:
    options = MaterializeOptions(
        allow_pickle=project.config.materialize.allow_pickle, algorithm=project.config.core.hash
    )
    models = {(m.step, m.output): m.name for m in record.models}
    outputs = _Outputs(store, options, models)
    return tuple(_step(outputs, name, step) for name, step in record.ordered_steps())


def _step(outputs: _Outputs, name: str, step: StepRecord) -> StepView:
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
        outputs=outputs.views(name, step.outputs),
        artifacts=outputs.views(name, step.artifacts),
        metrics=tuple(MetricView(name, key, value) for key, value in sorted(step.metrics.items())),
        logged_params=tuple(
            (key, _json(value)) for key, value in sorted(step.logged_params.items())
        ),
        tags=tuple(sorted(step.tags.items())),
        log=_stored_text(outputs.store, step.log, LOG_LIMIT) if step.log else None,
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


def _replays(project: Project, index: RunIndex, run_id: str) -> Replays:
    """The recorded runs that replayed ``run_id``, the newest loaded. Every
    record is looked at: a damaged one leaves the run itself shown, with
    the reason its replays are not."""
    try:
        found = run_summaries(project).replays.get(run_id, ())
    except (RunRecordInvalidError, RunRecordNewerSchemaError) as exc:
        return Replays((), 0, str(exc))
    shown = tuple(_replay(index.load(digest.id)) for digest in found[:MAX_REPLAYS])
    return Replays(shown, len(found))


def _replay(record: RunRecord) -> ReplayView:
    return ReplayView(
        run=record.id,
        created=record.created,
        status=record.status,
        backend=record.backend,
        verification=_verification(record),
    )
