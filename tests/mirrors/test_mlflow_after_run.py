"""`repro run` mirrors each run to MLflow by itself where a tracking URI is
configured; a server that is down costs the run a warning, not success."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlflow_testing import closed_port_uri
from pipeline_testing import cli, make_flow_project

pytestmark = pytest.mark.slow


@pytest.fixture
def flow(git_repo: Path) -> Path:
    return make_flow_project(git_repo)


def test_a_run_is_mirrored_as_it_is_recorded(flow: Path, mlflow_server: Any) -> None:
    result = cli(flow, "run", "--json", env={"MLFLOW_TRACKING_URI": mlflow_server.uri})
    assert result.code == 0, result
    run = result.json()["run"]
    state = json.loads((flow / ".repro" / "mirrors" / "mlflow" / f"{run}.json").read_text())
    assert state["status"] == "mirrored"
    found = mlflow_server.client().search_runs(
        [mlflow_server.client().get_experiment_by_name("flow").experiment_id],
        filter_string=f"tags.`repro.run_id` = '{run}'",
    )
    assert len(found) == 1 and found[0].data.metrics["total.total"] == 30.0


def test_a_server_that_is_down_leaves_a_warning_and_a_successful_run(flow: Path) -> None:
    result = cli(flow, "run", "--json", env={"MLFLOW_TRACKING_URI": closed_port_uri()})
    assert result.code == 0, result
    run = result.json()["run"]
    assert f"warning: run {run} was not mirrored to MLflow" in result.err
    state = json.loads((flow / ".repro" / "mirrors" / "mlflow" / f"{run}.json").read_text())
    assert state["status"] == "failed"


def test_a_replay_is_mirrored_with_its_verdict(flow: Path, mlflow_server: Any) -> None:
    env = {"MLFLOW_TRACKING_URI": mlflow_server.uri}
    first = cli(flow, "run", "--json", env=env)
    assert first.code == 0, first
    replay = cli(flow, "replay", first.json()["run"], "--verify", "--json", env=env)
    assert replay.code == 0, replay
    run = replay.json()["run"]
    client = mlflow_server.client()
    found = client.search_runs(
        [client.get_experiment_by_name("flow").experiment_id],
        filter_string=f"tags.`repro.run_id` = '{run}'",
    )
    assert len(found) == 1
    assert found[0].data.tags["repro.verification"] == "identical"
