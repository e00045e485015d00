"""What a run record becomes in MLflow: params, metrics, tags and model
files, named as MLflow accepts them. Pure: no client, no I/O."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from repro.lineage.records import RunRecord, StepRecord

__all__ = [
    "RUN_ID_TAG",
    "MirrorPayload",
    "ModelFile",
    "mirror_payload",
    "mlflow_key",
]

RUN_ID_TAG: Final = "repro.run_id"
_MAX_KEY = 250  # MLflow's limit on a param, metric or tag name
# MLflow names may hold word characters, ".", "-", " " and "/" (and ":"
# on POSIX servers only); anything else becomes "_".
_KEY_CHAR = re.compile(r"[^\w.\- /]")
_SUFFIXES = {
    "sklearn.skops": ".skops",
    "pickle": ".pkl",
    "pandas.parquet": ".parquet",
    "numpy.npy": ".npy",
    "json": ".json",
    "text": ".txt",
}

MlflowRunStatus = Literal["FINISHED", "FAILED", "KILLED"]
_TERMINAL: Final[dict[str, MlflowRunStatus]] = {
    "succeeded": "FINISHED",
    "failed": "FAILED",
    "interrupted": "KILLED",
}


@dataclass(frozen=True)
class ModelFile:
    """One model version's stored object, logged under ``models/NAME/``."""

    name: str
    version: str  # the object id of the model output
    kind: Literal["blob", "tree"]
    filename: str  # the file (blob) or folder (tree) under models/NAME/

    @property
    def artifact_path(self) -> str:
        return f"models/{mlflow_key(self.name)}"


@dataclass(frozen=True)
class MirrorPayload:
    run_name: str
    start_ms: int
    end_ms: int | None
    status: MlflowRunStatus | None  # None: the run is still going
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    models: tuple[ModelFile, ...]


def mirror_payload(record: RunRecord) -> MirrorPayload:
    return MirrorPayload(
        run_name=record.id,
        start_ms=_ms(record.created),
        end_ms=_ms(record.finished) if record.finished else None,
        status=_TERMINAL.get(record.status),
        params=_params(record),
        metrics=_metrics(record),
        tags=_tags(record),
        models=_model_files(record),
    )


def mlflow_key(text: str) -> str:
    """``text`` as a name MLflow accepts: allowed characters only, and a
    path that normalizes to itself (no empty, ``.`` or ``..`` parts)."""
    parts = _KEY_CHAR.sub("_", text).split("/")
    cleaned = "/".join("_" if part in (".", "..") else part for part in parts if part)
    return cleaned[:_MAX_KEY] or "_"


def _ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp() * 1000)


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _params(record: RunRecord) -> dict[str, str]:
    params = {mlflow_key(name): _value(value) for name, value in record.params.items()}
    for step, data in record.ordered_steps():
        for name, value in data.logged_params.items():
            params[mlflow_key(f"{step}.{name}")] = _value(value)
    return params


def _metrics(record: RunRecord) -> dict[str, float]:
    """Each step's metric as STEP.NAME, and as NAME alone when no other
    step logged a metric of that name."""
    steps = record.ordered_steps()
    counts = Counter(name for _, data in steps for name in data.metrics)
    metrics: dict[str, float] = {}
    for step, data in steps:
        for name, value in data.metrics.items():
            metrics[mlflow_key(f"{step}.{name}")] = value
            if counts[name] == 1:
                metrics[mlflow_key(name)] = value
    return metrics


def _tags(record: RunRecord) -> dict[str, str]:
    """The user's tags, then the steps' (as STEP.KEY), then repro's own,
    which win a clash: a mirror must say which run it mirrors."""
    tags = {mlflow_key(key): value for key, value in record.tags.items()}
    for step, data in record.ordered_steps():
        tags.update({mlflow_key(f"{step}.{key}"): value for key, value in data.tags.items()})
    tags.update(_lineage_tags(record))
    return tags


def _lineage_tags(record: RunRecord) -> dict[str, str]:
    tags = {
        RUN_ID_TAG: record.id,
        "repro.pipeline": record.pipeline,
        "repro.target": record.target,
        "repro.backend": record.backend,
        "repro.status": record.status,
        "repro.dirty": "true" if record.git.dirty else "false",
        "repro.environment": record.environment.oid,
    }
    optional = {
        "repro.commit": record.git.commit,
        "mlflow.source.git.commit": record.git.commit,
        "repro.branch": record.git.branch,
        "mlflow.source.git.branch": record.git.branch,
        "repro.image": record.environment.image,
        "repro.replay_of": record.replay_of,
        "repro.verification": record.verification.verdict if record.verification else None,
    }
    tags.update({key: value for key, value in optional.items() if value})
    tags.update(_image_tags(record.ordered_steps()))
    for uri, snapshot in record.inputs.items():
        tags[mlflow_key(f"repro.snapshot.{uri}")] = snapshot.oid
    for model in record.models:
        tags[mlflow_key(f"repro.model.{model.name}")] = model.version
    return tags


def _image_tags(steps: list[tuple[str, StepRecord]]) -> dict[str, str]:
    return {mlflow_key(f"repro.image.{name}"): data.image for name, data in steps if data.image}


def _model_files(record: RunRecord) -> tuple[ModelFile, ...]:
    files = []
    for model in record.models:
        step = record.steps.get(model.step)
        artifact = step.outputs.get(model.output) if step else None
        if artifact is None:  # a record naming an output it lacks: nothing to send
            continue
        filename = mlflow_key(model.output.replace("/", "_"))
        if artifact.kind == "blob":
            filename += _SUFFIXES.get(artifact.materializer, "")
        files.append(ModelFile(model.name, model.version, artifact.kind, filename))
    return tuple(files)
