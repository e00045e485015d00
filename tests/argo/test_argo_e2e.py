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
from argo_validators import validate_manifest
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


@pytest.fixture
def cluster(argo_server: Any, docker_engine: Any, s3_server: S3Server, container_label: str) -> Any:
    """The fake Argo Server whose workflows run on the Docker engine, with
    the credentials Secret (and the endpoint URL datasets are read at)."""
    credentials = {
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_server.endpoint,
    }
    argo_server.executor = lambda workflow: run_workflow(
        docker_engine, workflow, secrets={SECRET: credentials}, label=container_label
    )
    return argo_server


def test_submitted_workflow_gives_the_local_output_ids(cluster_project: Path, cluster: Any) -> None:
    local = run_json(cluster_project, "--backend", "local")
    submitted = cli(cluster_project, "argo", "submit", "--watch", "--json", env=server_env(cluster))
    assert submitted.code == 0, submitted
    doc = submitted.json()
    assert doc["status"] == "succeeded"
    assert set(doc["steps"].values()) == {"executed"}
    [posted] = cluster.workflows.values()
    validate_manifest({key: value for key, value in posted.items() if key != "status"})
    assert _outputs(cluster_project, doc["run"]) == _outputs(cluster_project, local["run"])
    lock = (cluster_project / "repro.lock").read_text()
    assert "backend: argo" in lock and doc["run"] in lock
    again = cli(cluster_project, "run", "--backend", "argo", "--json", env=server_env(cluster))
    assert again.code == 0, again
    assert again.json()["status"] == "up-to-date"


def test_local_run_replayed_on_argo_is_identical(cluster_project: Path, cluster: Any) -> None:
    local = run_json(cluster_project, "--backend", "local")
    replayed = cli(
        cluster_project,
        "replay",
        local["run"],
        "--backend",
        "argo",
        "--submit",
        "--json",
        env=server_env(cluster),
    )
    assert replayed.code == 0, replayed
    doc = replayed.json()
    assert doc["verdict"] == "identical"
    assert set(doc["steps"].values()) == {"executed"}


def test_a_step_failing_on_the_cluster_is_recorded_failed(
    cluster_project: Path, cluster: Any
) -> None:
    edit(cluster_project / "flow.py", "@step\ndef transform", "@step(retries=1)\ndef transform")
    edit(
        cluster_project / "flow.py",
        "    return [scale(",
        "    raise ValueError('bad rows')\n    return [scale(",
    )
    commit_all(cluster_project, "transform fails")
    submitted = cli(cluster_project, "argo", "submit", "--watch", env=server_env(cluster))
    assert submitted.code == 1, submitted
    assert "failed    transform" in submitted.out and "bad rows" in submitted.out
    assert "skipped   total" in submitted.out and "executed  describe" in submitted.out
    workflow = next(iter(cluster.workflows.values()))
    attempts = [n for n in workflow["status"]["nodes"].values() if n["type"] == "Pod"]
    assert sum(n["displayName"].startswith("transform(") for n in attempts) == 2
    assert not (cluster_project / "repro.lock").exists()  # a failed run is not locked


def test_a_schedule_reads_its_url_data_as_it_is_when_it_fires(
    cluster_project: Path, cluster: Any, s3_server: S3Server
) -> None:
    bucket = s3_server.new_bucket()
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key="rows.csv", Body=b"value\n1\n2\n")
    edit(cluster_project / "flow.py", '"data/rows.csv"', f'"s3://{bucket}/rows.csv"')
    edit(cluster_project / "flow.py", "@pipeline\n", '@pipeline(schedule="0 3 * * *")\n')
    commit_all(cluster_project, "nightly on the bucket's rows")
    env = {**server_env(cluster), "AWS_ENDPOINT_URL": s3_server.endpoint}
    applied = cli(cluster_project, "argo", "submit", "--cron", env=env)
    assert applied.code == 0, applied
    cron = next(iter(cluster.cron_workflows))
    validate_manifest(cluster.get_cron_workflow(cron))

    def fire_and_collect(name: str) -> dict[str, Any]:
        cluster.finished(cluster.trigger_cron(cron, name))
        collected = cli(cluster_project, "argo", "collect", "--json", env=env)
        assert collected.code == 0, collected
        [run] = collected.json()
        assert run["status"] == "succeeded"
        path = cluster_project / ".repro" / "runs" / f"{run['run']}.json"
        return dict(json.loads(path.read_text()))

    first = fire_and_collect("repro-flow-1")
    client.put_object(Bucket=bucket, Key="rows.csv", Body=b"value\n5\n6\n7\n")
    second = fire_and_collect("repro-flow-2")
    uri = f"s3://{bucket}/rows.csv"
    assert first["inputs"][uri]["oid"] != second["inputs"][uri]["oid"]
    assert second["inputs"][uri]["files"] == 1
    loaded = [run["steps"]["load"]["outputs"]["output"]["oid"] for run in (first, second)]
    assert loaded[0] != loaded[1]
    again = cli(cluster_project, "argo", "collect", "--json", env=env)
    assert again.json() == []  # each scheduled run is recorded once


def test_a_shell_step_out_reaches_the_work_tree(cluster_project: Path, cluster: Any) -> None:
    edit(cluster_project / "flow.py", "from repro import ", "from repro import sh, ")
    edit(
        cluster_project / "flow.py",
        "    describe(values)",
        "    describe(values)\n"
        '    sh("wc -l < data/rows.csv > count.txt", deps=[data], outs=["count.txt"])',
    )
    commit_all(cluster_project, "a shell step")
    submitted = cli(cluster_project, "argo", "submit", "--watch", env=server_env(cluster))
    assert submitted.code == 0, submitted
    assert (cluster_project / "count.txt").read_text().strip() == "5"


GATED = """
from repro import pipeline, step, when


@step
def over(level: int, limit: int) -> bool:
    return level > limit


@step
def retrain(level: int) -> int:
    return level * 10


@step
def publish(model: int) -> str:
    return f"model {model}"


@step
def always(level: int) -> int:
    return level + 1


@pipeline
def gated(level: int = 5, limit: int = 3) -> None:
    drift = over(level, limit=limit)
    with when(drift):
        model = retrain(level)
    publish(model)
    always(level)
"""


def test_a_false_condition_skips_tasks_on_the_cluster(cluster_project: Path, cluster: Any) -> None:
    (cluster_project / "gated.py").write_text(GATED)
    commit_all(cluster_project, "a gated pipeline")
    env = server_env(cluster)
    skipped = cli(
        cluster_project, "argo", "submit", "gated.py:gated", "-p", "limit=9", "--watch", env=env
    )
    assert skipped.code == 0, skipped
    assert "skipped   retrain" in skipped.out and "skipped   publish" in skipped.out
    assert "executed  always" in skipped.out and "succeeded" in skipped.out
    assert "skipped:" in (cluster_project / "repro.lock").read_text()
    ran = cli(
        cluster_project, "argo", "submit", "gated.py:gated", "-p", "limit=1", "--watch", env=env
    )
    assert ran.code == 0, ran
    assert "executed  retrain" in ran.out and "executed  publish" in ran.out
