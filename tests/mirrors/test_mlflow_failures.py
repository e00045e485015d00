"""An MLflow server that is down: the run still succeeds, the mirror fails
fast with a one-line reason that is remembered, `repro mlflow status` shows
it and `repro mlflow sync` sends the run once a server is up."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from mlflow_testing import MlflowServer, closed_port_uri
from pipeline_testing import cli, commit_all, make_flow_project, run_json
from repro_testing import git

from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex
from repro.mirrors.mlflow import MirrorOutcome, mirror_run
from repro.project import Project

pytestmark = pytest.mark.slow  # real runs, and a server that takes seconds to start


def make_mirrored_project(root: Path, uri: str) -> Project:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root, commit=False)
    with (root / "pyproject.toml").open("a") as file:
        file.write(f'\n[tool.repro.mlflow]\ntracking-uri = "{uri}"\n')
    commit_all(root, "flow, mirrored to MLflow")
    return Project(str(root))


@dataclass(frozen=True)
class Attempt:
    project: Project
    record: RunRecord
    outcome: MirrorOutcome
    seconds: float


def attempt(project: Project) -> Attempt:
    doc = run_json(Path(project.root))
    record = RunIndex(project.repro_dir).load(doc["run"])
    started = time.monotonic()
    outcome = mirror_run(project, record)
    return Attempt(project, record, outcome, time.monotonic() - started)


@pytest.fixture(autouse=True)
def _no_uri_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)


@pytest.fixture
def down(tmp_path: Path) -> Attempt:
    """A run mirrored to a server that is down (a closed loopback port)."""
    return attempt(make_mirrored_project(tmp_path / "project", closed_port_uri()))


def test_a_server_that_is_down_fails_the_mirror_not_the_run(down: Attempt) -> None:
    assert down.record.status == "succeeded"
    assert down.outcome.status == "failed"
    assert down.outcome.error is not None and "\n" not in down.outcome.error
    assert "cannot connect to the server" in down.outcome.error


def test_a_mirror_to_a_server_that_is_down_fails_fast(down: Attempt) -> None:
    # MLflow's own defaults retry for minutes.
    assert down.seconds < 20


def test_the_warning_says_how_to_retry(down: Attempt) -> None:
    assert down.outcome.warning is not None
    assert down.outcome.warning.endswith(f"'repro mlflow sync {down.record.id}' retries")


def test_the_failure_is_recorded(down: Attempt) -> None:
    path = Path(down.project.repro_dir) / "mirrors" / "mlflow" / f"{down.record.id}.json"
    state = json.loads(path.read_text())
    assert state["status"] == "failed"
    assert state["reason"] == down.outcome.error
    assert state["at"].endswith("Z")


def test_status_lists_the_failed_run(down: Attempt) -> None:
    result = cli(Path(down.project.root), "mlflow", "status", "--json")
    assert result.code == 0, result
    (row,) = result.json()["runs"]
    assert (row["run"], row["status"]) == (down.record.id, "failed")


def test_sync_fails_again_while_the_server_is_down(down: Attempt) -> None:
    result = cli(Path(down.project.root), "mlflow", "sync")
    assert result.code == 1, result
    assert f"failed {down.record.id}: MLflow at http://127.0.0.1:" in result.err


def test_sync_mirrors_the_run_once_a_server_is_up(
    down: Attempt, mlflow_server: MlflowServer
) -> None:
    root = Path(down.project.root)
    synced = cli(root, "mlflow", "sync", "--json", env={"MLFLOW_TRACKING_URI": mlflow_server.uri})
    assert synced.code == 0, synced
    (outcome,) = synced.json()
    run = mlflow_server.client().get_run(outcome["mlflow_run_id"])
    assert (outcome["run"], outcome["status"]) == (down.record.id, "mirrored")
    assert run.data.tags["repro.run_id"] == down.record.id


def test_sync_sends_nothing_when_every_run_is_mirrored(
    tmp_path: Path, mlflow_server: MlflowServer
) -> None:
    done = attempt(make_mirrored_project(tmp_path / "project", mlflow_server.uri))
    assert done.outcome.status == "mirrored", done.outcome
    result = cli(Path(done.project.root), "mlflow", "sync")
    assert (result.code, result.out) == (0, "nothing to mirror: every run is mirrored\n")


def test_sync_without_a_tracking_uri_is_a_usage_error(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root)
    result = cli(root, "mlflow", "sync")
    assert result.code == 2
    assert "no MLflow tracking URI: set tracking-uri under [tool.repro.mlflow]" in result.err
