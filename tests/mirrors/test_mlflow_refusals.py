"""What MLflow cannot be sent: a server that answers with errors, a model
not in the local cache. The mirror fails with the reason in one line, and
nothing is raised into the run."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mlflow_records import make_record, make_step

from repro.mirrors.mlflow import mirror_run
from repro.project import Project


@pytest.fixture(autouse=True)
def _no_uri_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


class _Answering(BaseHTTPRequestHandler):
    status = 403

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"no\n")

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server on loopback that answers every request with one error status."""
    handler = type("Handler", (_Answering,), {"status": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# The wording is MLflow's: 3.17 retries a 503 ("the server keeps failing:
# too many 503 error responses"), 3.18 does not ("failed with error code
# 503 != 200"). Either way the status the server answered is named.
@pytest.mark.parametrize(
    ("refusing", "reason"),
    [
        (403, r"error code 403 != 200"),
        (503, r"(too many 503 error responses|error code 503 != 200)"),
    ],
    indirect=["refusing"],
)
def test_a_server_that_refuses_fails_the_mirror_with_its_answer(
    project: Project, refusing: str, reason: str
) -> None:
    (Path(project.root) / "pyproject.toml").write_text(
        f'[tool.repro.mlflow]\ntracking-uri = "{refusing}"\n'
    )
    outcome = mirror_run(project, make_record())
    assert outcome.status == "failed"
    assert outcome.error is not None and "\n" not in outcome.error
    assert re.search(reason, outcome.error), outcome.error
    assert outcome.error.startswith(f"MLflow at {refusing}: "), outcome.error


def test_a_model_missing_from_the_cache_fails_the_mirror(project: Project) -> None:
    (Path(project.root) / "pyproject.toml").write_text(
        '[tool.repro.mlflow]\ntracking-uri = "http://127.0.0.1:9"\n'
    )
    oid = "ab" * 16
    output = {"oid": oid, "kind": "blob", "materializer": "pickle", "version": "1", "type": "x"}
    record = make_record(
        steps={"train": make_step(0, outputs={"model": {**output, "size": 1}})},
        models=[{"name": "churn", "version": oid, "step": "train", "output": "model"}],
    )
    outcome = mirror_run(project, record)
    assert outcome.status == "failed"
    assert outcome.error == (
        f"model churn version {oid} is not in the local cache: 'repro pull {record.id}' fetches it"
    )


def test_without_the_mlflow_client_the_mirror_says_what_to_install(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("mlflow", "mlflow.exceptions", "mlflow.tracking"):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    (Path(project.root) / "pyproject.toml").write_text(
        '[tool.repro.mlflow]\ntracking-uri = "http://127.0.0.1:9"\n'
    )
    outcome = mirror_run(project, make_record())
    assert outcome.error == (
        "MLflow at http://127.0.0.1:9: the MLflow client is not installed: "
        "pip install 'repro-gitops[mlflow]'"
    )
