"""The one place MLflow's client is imported (lazily): a payload sent to a
tracking server as one MLflow run, found again by its ``repro.run_id`` tag
so that sending the same run twice changes nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final, TypeVar

from repro.errors import ReproError
from repro.lineage.redact import redact_url
from repro.mirrors.mlflow_payload import RUN_ID_TAG, MirrorPayload, ModelFile

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

__all__ = ["MlflowSendError", "send_run"]

# MLflow retries a failed request 7 times with backoff (minutes in all) and
# waits 120 s for an answer; a run must not wait that long for its mirror,
# which `repro mlflow sync` can retry. Values the user set are kept.
_FAST_FAIL: Final = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
# Ending a run prints its URL on stdout, where `--json` output goes.
_QUIET: Final = {"MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}
_BATCH = 100  # MLflow takes at most 100 params and 100 tags per request
_MAX_REASON = 300

T = TypeVar("T")


class MlflowSendError(ReproError):
    """MLflow did not take the run: the client is missing, the server is
    unreachable or refused a request."""

    def __init__(self, uri: str, reason: str) -> None:
        self.uri = uri
        self.reason = reason
        super().__init__(f"MLflow at {uri}: {reason}")


def send_run(
    uri: str, experiment: str, payload: MirrorPayload, staged: Mapping[ModelFile, str]
) -> str:
    """Mirror ``payload`` into ``experiment`` (created if missing), with each
    model's files from ``staged`` (model -> local path); the MLflow run id."""
    shown = redact_url(uri)
    try:
        import requests
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise MlflowSendError(
            shown, "the MLflow client is not installed: pip install 'repro-gitops[mlflow]'"
        ) from exc
    with _client_environment():
        try:
            client = MlflowClient(tracking_uri=uri)
            run = _find_or_create_run(client, _experiment_id(client, experiment), payload)
            _log_values(client, run, payload)
            for model, path in staged.items():
                _upload(client, run.info.run_id, model, path)
            if payload.status is not None:
                client.set_terminated(run.info.run_id, payload.status, end_time=payload.end_ms)
        except (MlflowException, requests.RequestException, OSError, ImportError) as exc:
            raise MlflowSendError(shown, _reason(exc)) from exc
    return str(run.info.run_id)


@contextmanager
def _client_environment() -> Iterator[None]:
    """MLflow reads its settings from the environment at each request: set
    for the call only, then put back as they were."""
    saved = {name: os.environ.get(name) for name in (*_FAST_FAIL, *_QUIET)}
    os.environ.update({name: value for name, value in _FAST_FAIL.items() if saved[name] is None})
    os.environ.update(_QUIET)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _experiment_id(client: MlflowClient, name: str) -> str:
    found = client.get_experiment_by_name(name)
    return str(found.experiment_id) if found is not None else client.create_experiment(name)


def _find_or_create_run(client: MlflowClient, experiment_id: str, payload: MirrorPayload) -> Run:
    found = client.search_runs(
        [experiment_id], filter_string=f"tags.`{RUN_ID_TAG}` = '{payload.run_name}'", max_results=1
    )
    if found:
        return found[0]
    return client.create_run(
        experiment_id,
        start_time=payload.start_ms,
        tags={RUN_ID_TAG: payload.run_name},
        run_name=payload.run_name,
    )


def _log_values(client: MlflowClient, run: Run, payload: MirrorPayload) -> None:
    """What the MLflow run lacks: a param once set cannot change, and a
    metric logged again would add a point to its history."""
    from mlflow.entities import Metric, Param, RunTag

    data = run.data
    params = [Param(k, v) for k, v in payload.params.items() if k not in data.params]
    metrics = [
        Metric(k, v, payload.start_ms, 0)
        for k, v in payload.metrics.items()
        if data.metrics.get(k) != v
    ]
    tags = [RunTag(k, v) for k, v in payload.tags.items() if data.tags.get(k) != v]
    for start in range(0, max(len(params), len(metrics), len(tags)), _BATCH):
        client.log_batch(
            run.info.run_id,
            metrics=_part(metrics, start),
            params=_part(params, start),
            tags=_part(tags, start),
            synchronous=True,
        )


def _part(items: Sequence[T], start: int) -> Sequence[T]:
    return items[start : start + _BATCH]


def _upload(client: MlflowClient, run_id: str, model: ModelFile, path: str) -> None:
    """A blob is one file under models/NAME/; a tree, a folder there. The
    same bytes sent again replace themselves."""
    if model.kind == "blob":
        client.log_artifact(run_id, path, model.artifact_path)
    else:
        client.log_artifacts(run_id, path, f"{model.artifact_path}/{model.filename}")


def _reason(exc: BaseException) -> str:
    """One line: MLflow's messages quote whole URLs and nested causes."""
    import requests

    chain = [exc]
    while (cause := chain[-1].__cause__ or chain[-1].__context__) and cause not in chain:
        chain.append(cause)
    if any(isinstance(error, requests.ConnectionError) for error in chain):
        return "cannot connect to the server (is it running, at that address?)"
    retried = next((e for e in chain if isinstance(e, requests.exceptions.RetryError)), None)
    if retried is not None and retried.args:
        # urllib3's MaxRetryError: its reason is the answer, e.g. "too many 503 error responses".
        return f"the server keeps failing: {getattr(retried.args[0], 'reason', retried)}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"
