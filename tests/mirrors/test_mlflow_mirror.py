"""A real ``repro run`` of the flow project (grown a scikit-learn model)
mirrored to a real MLflow server: params, metrics, tags and the model's
bytes arrive, checked through MLflow's own client; mirroring twice
changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from mlflow_records import make_record, make_step
from mlflow_testing import MlflowServer
from pipeline_testing import commit_all, edit, make_flow_project, run_json
from repro_testing import git

from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex
from repro.mirrors.mlflow import MirrorOutcome, mirror_run
from repro.project import Project
from repro.store import Tree, TreeEntry, write_tree

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow  # the server takes seconds to start

MODEL_STEP = """

@step(tags={"stage": "train"})
def fit(values: list) -> LinearRegression:
    log_params(kind="linear", degree=1)
    xs = [[float(i)] for i in range(len(values))]
    return LinearRegression().fit(xs, values)
"""


def make_model_project(root: Path, uri: str, experiment: str) -> Project:
    """The flow project, whose pipeline also fits a model version."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root, commit=False)
    flow = root / "flow.py"
    edit(
        flow,
        "from repro import Dataset, log_metric, pipeline, step",
        "from sklearn.linear_model import LinearRegression\n\n"
        "from repro import Dataset, Model, log_metric, log_params, pipeline, step",
    )
    edit(flow, "\n\n@pipeline\n", MODEL_STEP + '\n\n@pipeline(model=Model(name="trend"))\n')
    edit(flow, "    describe(values)\n", "    describe(values)\n    fit(scaled)\n")
    with (root / "pyproject.toml").open("a") as file:
        file.write(f'\n[tool.repro.mlflow]\ntracking-uri = "{uri}"\nexperiment = "{experiment}"\n')
    commit_all(root, "flow with a model, mirrored to MLflow")
    return Project(str(root))


@dataclass(frozen=True)
class Mirrored:
    project: Project
    record: RunRecord
    outcome: MirrorOutcome
    run: Run


@pytest.fixture(scope="module")
def mirrored(
    tmp_path_factory: pytest.TempPathFactory, mlflow_server: MlflowServer
) -> Iterator[Mirrored]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
        root = tmp_path_factory.mktemp("mirror") / "project"
        project = make_model_project(root, mlflow_server.uri, f"flow-{uuid.uuid4().hex[:8]}")
        doc = run_json(root, "--tag", "team=ml")
        record = RunIndex(project.repro_dir).load(doc["run"])
        outcome = mirror_run(project, record)
        assert outcome.status == "mirrored", outcome
        assert outcome.mlflow_run_id is not None
        yield Mirrored(
            project, record, outcome, mlflow_server.client().get_run(outcome.mlflow_run_id)
        )


def test_the_run_is_named_after_the_repro_run(mirrored: Mirrored) -> None:
    assert mirrored.run.info.run_name == mirrored.record.id
    assert mirrored.run.info.status == "FINISHED"


def test_pipeline_params_and_logged_params_are_mirrored(mirrored: Mirrored) -> None:
    params = mirrored.run.data.params
    assert params["factor"] == "3"
    assert params["fit.kind"] == "linear"
    assert params["fit.degree"] == "1"


def test_metrics_are_mirrored_by_step_and_by_name(mirrored: Mirrored) -> None:
    assert mirrored.run.data.metrics == {"total.total": 30.0, "total": 30.0}


def test_lineage_tags_name_the_run_commit_snapshot_and_model(mirrored: Mirrored) -> None:
    tags, record = mirrored.run.data.tags, mirrored.record
    assert tags["repro.run_id"] == record.id
    assert tags["repro.pipeline"] == "flow"
    assert tags["repro.status"] == "succeeded"
    assert tags["repro.commit"] == record.git.commit
    assert tags["repro.snapshot.data/rows.csv"] == record.inputs["data/rows.csv"].oid
    assert tags["repro.model.trend"] == record.models[0].version


def test_run_and_step_tags_are_mirrored(mirrored: Mirrored) -> None:
    assert mirrored.run.data.tags["team"] == "ml"
    assert mirrored.run.data.tags["fit.stage"] == "train"


def test_the_model_version_is_an_artifact_with_its_stored_bytes(
    mirrored: Mirrored, mlflow_server: MlflowServer, tmp_path: Path
) -> None:
    from mlflow.artifacts import download_artifacts

    model = mirrored.record.models[0]
    listed = mlflow_server.client().list_artifacts(mirrored.run.info.run_id, "models/trend")
    assert [entry.path for entry in listed] == ["models/trend/output.skops"]
    path = download_artifacts(
        run_id=mirrored.run.info.run_id,
        artifact_path="models/trend/output.skops",
        dst_path=str(tmp_path),
        tracking_uri=mlflow_server.uri,
    )
    assert Path(path).read_bytes() == mirrored.project.store().read(model.version)


def test_mirroring_twice_changes_nothing(mirrored: Mirrored, mlflow_server: MlflowServer) -> None:
    again = mirror_run(mirrored.project, mirrored.record)
    client = mlflow_server.client()
    runs = client.search_runs([mirrored.run.info.experiment_id])
    history = client.get_metric_history(mirrored.run.info.run_id, "total")
    assert again.mlflow_run_id == mirrored.outcome.mlflow_run_id
    assert [run.info.run_id for run in runs] == [mirrored.outcome.mlflow_run_id]
    assert len(history) == 1


def test_the_mirror_leaves_the_work_tree_clean(mirrored: Mirrored) -> None:
    assert (Path(mirrored.project.repro_dir) / "mirrors" / "mlflow").is_dir()
    root = Path(mirrored.project.root)
    assert git(root, "status", "--porcelain", "--untracked-files=all", ".repro") == ""


def _artifact_files(client: MlflowClient, run_id: str, path: str) -> list[str]:
    files = []
    for entry in client.list_artifacts(run_id, path):
        files += _artifact_files(client, run_id, entry.path) if entry.is_dir else [entry.path]
    return files


def test_a_model_folder_is_an_artifact_folder(
    project: Project, mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (Path(project.root) / "pyproject.toml").write_text(
        f'[tool.repro.mlflow]\ntracking-uri = "{mlflow_server.uri}"\n'
        f'experiment = "tree-{uuid.uuid4().hex[:8]}"\n'
    )
    store = project.store()
    files = {"weights.bin": b"\x00\x01", "config/params.json": b"{}"}
    entries = [TreeEntry(path, store.write(data), len(data)) for path, data in files.items()]
    oid = write_tree(store, Tree.build(store.algorithm.name, entries))
    output = {"oid": oid, "kind": "tree", "materializer": "path", "version": "1", "type": "x"}
    record = make_record(
        steps={"train": make_step(0, outputs={"net": {**output, "size": 4}})},
        models=[{"name": "net", "version": oid, "step": "train", "output": "net"}],
    )
    outcome = mirror_run(project, record)
    assert outcome.mlflow_run_id is not None, outcome
    assert _artifact_files(mlflow_server.client(), outcome.mlflow_run_id, "models") == [
        "models/net/net/config/params.json",
        "models/net/net/weights.bin",
    ]
