"""The rendered Workflow executed for real, as far as no cluster allows:
its container tasks run on the local Docker engine in dependency order
(tests/argo/mini_argo.py interprets exactly what repro emits), reading and
writing the S3 server on loopback, behind a fake Argo Server API that
`repro argo submit --watch` talks to. The run it records has the output
ids of the same pipeline run on the local backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from argo_project_testing import SECRET, configure_argo, server_env
from mini_argo import run_workflow
from pipeline_testing import cli, commit_all, edit, make_flow_project, run_json
from repro_testing import git
from s3_testing import S3Server

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster_project(tmp_path: Path, s3_server: S3Server, repro_image: str) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root, commit=False)
    configure_argo(root, s3_server, repro_image)
    commit_all(root, "flow project on a cluster")
    return root


def _outputs(root: Path, run: str) -> dict[str, dict[str, str]]:
    record = json.loads((root / ".repro" / "runs" / f"{run}.json").read_text())
    return {
        name: {out: artifact["oid"] for out, artifact in step["outputs"].items()}
        for name, step in record["steps"].items()
    }


def _executor(docker_engine: Any, s3_server: S3Server, label: str) -> Any:
    credentials = {
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return lambda workflow: run_workflow(
        docker_engine, workflow, secrets={SECRET: credentials}, label=label
    )


def test_submitted_workflow_gives_the_local_output_ids(
    cluster_project: Path,
    s3_server: S3Server,
    docker_engine: Any,
    argo_server: Any,
    container_label: str,
) -> None:
    local = run_json(cluster_project, "--backend", "local")
    argo_server.executor = _executor(docker_engine, s3_server, container_label)
    submitted = cli(
        cluster_project, "argo", "submit", "--watch", "--json", env=server_env(argo_server)
    )
    assert submitted.code == 0, submitted
    doc = submitted.json()
    assert doc["status"] == "succeeded"
    assert set(doc["steps"].values()) == {"executed"}
    assert _outputs(cluster_project, doc["run"]) == _outputs(cluster_project, local["run"])
    lock = (cluster_project / "repro.lock").read_text()
    assert "backend: argo" in lock and doc["run"] in lock
    again = cli(cluster_project, "run", "--backend", "argo", "--json", env=server_env(argo_server))
    assert again.code == 0, again
    assert again.json()["status"] == "up-to-date"


def test_local_run_replayed_on_argo_is_identical(
    cluster_project: Path,
    s3_server: S3Server,
    docker_engine: Any,
    argo_server: Any,
    container_label: str,
) -> None:
    local = run_json(cluster_project, "--backend", "local")
    argo_server.executor = _executor(docker_engine, s3_server, container_label)
    replayed = cli(
        cluster_project,
        "replay",
        local["run"],
        "--backend",
        "argo",
        "--submit",
        "--json",
        env=server_env(argo_server),
    )
    assert replayed.code == 0, replayed
    doc = replayed.json()
    assert doc["verdict"] == "identical"
    assert set(doc["steps"].values()) == {"executed"}


def test_a_step_failing_on_the_cluster_is_recorded_failed(
    cluster_project: Path,
    s3_server: S3Server,
    docker_engine: Any,
    argo_server: Any,
    container_label: str,
) -> None:
    edit(cluster_project / "flow.py", "@step\ndef transform", "@step(retries=1)\ndef transform")
    edit(
        cluster_project / "flow.py",
        "    return [scale(",
        "    raise ValueError('bad rows')\n    return [scale(",
    )
    commit_all(cluster_project, "transform fails")
    argo_server.executor = _executor(docker_engine, s3_server, container_label)
    submitted = cli(cluster_project, "argo", "submit", "--watch", env=server_env(argo_server))
    assert submitted.code == 1, submitted
    assert "failed    transform" in submitted.out and "bad rows" in submitted.out
    assert "skipped   total" in submitted.out and "executed  describe" in submitted.out
    workflow = next(iter(argo_server.workflows.values()))
    attempts = [n for n in workflow["status"]["nodes"].values() if n["type"] == "Pod"]
    assert sum(n["displayName"].startswith("transform(") for n in attempts) == 2
    assert not (cluster_project / "repro.lock").exists()  # a failed run is not locked
