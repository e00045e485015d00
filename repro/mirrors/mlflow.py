"""Mirroring runs to an MLflow tracking server (the optional ``mlflow`` extra).

Configured in pyproject.toml::

    [tool.repro.mlflow]
    tracking-uri = "http://127.0.0.1:5000"
    experiment = "churn"        # default: the pipeline's name

``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_NAME`` override them. With
no tracking URI nothing is mirrored. A plain path as the URI is relative to
the project root. Credentials never go in pyproject.toml (it is committed):
MLflow reads ``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` or
``MLFLOW_TRACKING_TOKEN`` from the environment.

Each run becomes one MLflow run named after the repro run id and tagged
``repro.run_id``, found again by that tag: mirroring a run twice changes
nothing. A mirror that fails (server down, refusing, client missing) never
raises into the run: the outcome says why, and the attempt is remembered in
``.repro/mirrors/mlflow/<run>.json`` for ``repro mlflow sync`` to retry.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from repro.errors import ReproError, UsageError
from repro.lineage.records import RunRecord
from repro.lineage.redact import redact_url
from repro.lineage.runs import RunIndex
from repro.mirrors.mlflow_payload import ModelFile, mirror_payload
from repro.mirrors.mlflow_state import MirrorState, load_state, save_state, utc_now
from repro.project import Project
from repro.pyproject import tool_repro_table
from repro.store import ObjectStore

__all__ = [
    "MirrorOutcome",
    "MlflowConfigError",
    "MlflowNotConfiguredError",
    "MlflowSettings",
    "ModelNotCachedError",
    "RunMirrorState",
    "mirror_run",
    "mirror_states",
    "mlflow_settings",
    "sync_runs",
]

_KEYS: Final = ("experiment", "tracking-uri")
OutcomeStatus = Literal["mirrored", "skipped", "failed"]


class MlflowConfigError(UsageError, ValueError):
    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"pyproject.toml: [tool.repro.mlflow] {key}: {reason}")


class ModelNotCachedError(ReproError, FileNotFoundError):
    def __init__(self, run: str, model: str, version: str) -> None:
        self.run = run
        self.model = model
        self.version = version
        super().__init__(
            f"model {model} version {version} is not in the local cache: "
            f"'repro pull {run}' fetches it"
        )


class MlflowNotConfiguredError(UsageError):
    def __init__(self) -> None:
        super().__init__(
            "no MLflow tracking URI: set tracking-uri under [tool.repro.mlflow] in "
            "pyproject.toml, or MLFLOW_TRACKING_URI"
        )


@dataclass(frozen=True)
class MlflowSettings:
    tracking_uri: str
    experiment: str | None = None  # None: each pipeline's own name

    @property
    def shown_uri(self) -> str:
        """The URI without credentials, as messages and state files hold it."""
        return redact_url(self.tracking_uri)

    def experiment_for(self, pipeline: str) -> str:
        return self.experiment or pipeline


def mlflow_settings(root: str, environ: Mapping[str, str] = os.environ) -> MlflowSettings | None:
    """The project's MLflow settings; None when no tracking URI is set."""
    table = tool_repro_table(root).get("mlflow", {})
    if not isinstance(table, dict):
        raise MlflowConfigError("(table)", "must be a table (keys: experiment, tracking-uri)")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise MlflowConfigError(unknown[0], "unknown key (known: experiment, tracking-uri)")
    configured = _string(table, "tracking-uri")
    if configured:
        _refuse_credentials(configured)
    uri = environ.get("MLFLOW_TRACKING_URI") or configured
    if not uri:
        return None
    experiment = environ.get("MLFLOW_EXPERIMENT_NAME") or _string(table, "experiment")
    return MlflowSettings(_resolved(root, uri), experiment or None)


def _string(table: dict[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise MlflowConfigError(key, f"must be a string, not {value!r}")
    return value


def _refuse_credentials(uri: str) -> None:
    from repro.config import url_secret

    what = url_secret(uri)
    if what is not None:
        raise MlflowConfigError(
            "tracking-uri",
            f"{what}, and pyproject.toml is committed: remove it and set "
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)",
        )


def _resolved(root: str, uri: str) -> str:
    """A plain path (no scheme) names a local MLflow store beside the project."""
    return uri if ":" in uri else os.path.normpath(os.path.join(root, os.path.expanduser(uri)))


@dataclass(frozen=True)
class MirrorOutcome:
    run: str  # the repro run id
    status: OutcomeStatus
    mlflow_run_id: str | None = None
    error: str | None = None  # one line: why it failed
    tracking_uri: str | None = None  # without credentials
    experiment: str | None = None

    @property
    def warning(self) -> str | None:
        """The line to show when the mirror failed, saying how to retry."""
        if self.status != "failed":
            return None
        return (
            f"run {self.run} was not mirrored to MLflow: {self.error}; "
            f"'repro mlflow sync {self.run}' retries"
        )


def mirror_run(project: Project, record: RunRecord) -> MirrorOutcome:
    """Mirror ``record`` to MLflow if a tracking URI is configured. Never
    raises for MLflow's sake: a failure is returned and remembered."""
    try:
        settings = mlflow_settings(project.root)
    except ReproError as exc:
        return _remember(project, MirrorOutcome(record.id, "failed", error=str(exc)))
    if settings is None:
        return MirrorOutcome(record.id, "skipped")
    return _mirror(project, record, settings)


def _mirror(project: Project, record: RunRecord, settings: MlflowSettings) -> MirrorOutcome:
    from repro.mirrors.mlflow_client import send_run

    experiment = settings.experiment_for(record.pipeline)
    where = {"tracking_uri": settings.shown_uri, "experiment": experiment}
    payload = mirror_payload(record)
    try:
        with tempfile.TemporaryDirectory(prefix="repro-mlflow-") as folder:
            staged = _stage_models(project.store(), record.id, payload.models, folder)
            run_id = send_run(settings.tracking_uri, experiment, payload, staged)
    except (ReproError, OSError) as exc:  # MLflow refused, or a model is not in the cache
        outcome = MirrorOutcome(record.id, "failed", error=_one_line(exc), **where)
    else:
        outcome = MirrorOutcome(record.id, "mirrored", mlflow_run_id=run_id, **where)
    return _remember(project, outcome)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _stage_models(
    store: ObjectStore, run: str, models: Iterable[ModelFile], folder: str
) -> dict[ModelFile, str]:
    """Each model's stored bytes as a file (or folder) named for MLflow."""
    from repro.store import ObjectNotFoundError

    staged = {}
    for number, model in enumerate(models):
        path = os.path.join(folder, str(number), model.filename)
        os.makedirs(os.path.dirname(path))
        try:
            _stage(store, model, path)
        except ObjectNotFoundError as exc:
            raise ModelNotCachedError(run, model.name, model.version) from exc
        staged[model] = path
    return staged


def _stage(store: ObjectStore, model: ModelFile, path: str) -> None:
    from repro.snapshot.checkout import checkout
    from repro.store import read_tree

    if model.kind == "tree":
        checkout(store, read_tree(store, model.version), path)
        return
    with open(path, "wb") as file:
        for chunk in store.read_chunks(model.version):
            file.write(chunk)


def _remember(project: Project, outcome: MirrorOutcome) -> MirrorOutcome:
    state = MirrorState(
        status="mirrored" if outcome.status == "mirrored" else "failed",
        reason=outcome.error,
        at=utc_now(),
        mlflow_run_id=outcome.mlflow_run_id,
        tracking_uri=outcome.tracking_uri,
        experiment=outcome.experiment,
    )
    save_state(project.repro_dir, outcome.run, state)
    return outcome


def sync_runs(
    project: Project,
    runs: Sequence[str] = (),
    *,
    progress: Callable[[MirrorOutcome], None] | None = None,
) -> list[MirrorOutcome]:
    """Mirror ``runs`` (ids or unique prefixes) again; with none, every run
    not yet mirrored to the configured tracking URI or whose mirror failed."""
    settings = mlflow_settings(project.root)
    if settings is None:
        raise MlflowNotConfiguredError()
    index = RunIndex(project.repro_dir)
    if runs:
        chosen = [index.resolve(run) for run in runs]
    else:
        chosen = [run for run in index.ids() if _pending(project, run, settings)]
    outcomes = []
    for run in chosen:
        outcomes.append(_mirror(project, index.load(run), settings))
        if progress is not None:
            progress(outcomes[-1])
    return outcomes


def _pending(project: Project, run: str, settings: MlflowSettings) -> bool:
    state = load_state(project.repro_dir, run)
    return state is None or state.status != "mirrored" or state.tracking_uri != settings.shown_uri


@dataclass(frozen=True)
class RunMirrorState:
    run: str
    state: MirrorState | None  # None: never mirrored

    @property
    def label(self) -> str:
        return self.state.status if self.state else "unsynced"


def mirror_states(project: Project) -> list[RunMirrorState]:
    """Every recorded run with the outcome of its latest mirror, oldest first."""
    return [
        RunMirrorState(run, load_state(project.repro_dir, run))
        for run in RunIndex(project.repro_dir).ids()
    ]
