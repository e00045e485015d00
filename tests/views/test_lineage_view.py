"""An artifact's lineage on the quickstart: the run that made it, the replay
that made it again, the run that reused it from the cache, its consumers,
its model, and its ancestry back to the data snapshots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ui_testing import Quickstart

from repro.lineage.records import ArtifactRecord, Fingerprints, RunRecord, StepRecord
from repro.lineage.runs import RunIndex, new_run_id
from repro.project import Project
from repro.views.lineage import (
    MAX_USES,
    AmbiguousArtifactError,
    ArtifactIdError,
    UnknownArtifactError,
    artifact_lineage,
)

HTML = "<script>alert(1)</script>"


def _record(quickstart: Quickstart, run: str) -> RunRecord:
    return RunIndex(quickstart.project.repro_dir).load(run)


def _model_oid(quickstart: Quickstart, run: str) -> str:
    return _record(quickstart, run).models[0].version


def _copy(quickstart: Quickstart, tmp_path: Path) -> Project:
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    return Project(str(root))


def _with_step(
    record: RunRecord, name: str, output: str, inputs: dict[str, str], type_: str = "T"
) -> RunRecord:
    """A copy of ``record`` under a new id with one more executed step."""
    base = record.steps["train_model"]
    artifact = ArtifactRecord(
        oid=output, kind="blob", materializer="json", version="1", type=type_, size=3
    )
    assert base.fingerprints is not None
    step = base.model_copy(
        update={
            "position": 99,
            "status": "executed",
            "cached_from": None,
            "outputs": {"output": artifact},
            "fingerprints": Fingerprints.model_validate(
                base.fingerprints.model_dump() | {"inputs": inputs}
            ),
        }
    )
    steps: dict[str, StepRecord] = {**record.steps, name: step}
    return record.model_copy(update={"id": new_run_id(), "steps": steps, "models": []})


def _save(project: Project, record: RunRecord) -> None:
    RunIndex(project.repro_dir).save(record)


def test_the_producer_is_the_run_that_first_executed_the_step(
    ui_quickstart: Quickstart,
) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    assert lineage.producer is not None
    assert (lineage.producer.run, lineage.producer.step) == (ui_quickstart.first, "train_model")
    assert lineage.artifact.materializer == "sklearn.skops"


def test_a_replay_that_executed_the_step_made_the_artifact_again(
    ui_quickstart: Quickstart,
) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    assert [(use.run, use.replay_of) for use in lineage.remade.shown] == [
        (ui_quickstart.replay, ui_quickstart.first)
    ]


def test_a_cached_step_is_a_reuse_naming_the_run_it_came_from(
    ui_quickstart: Quickstart,
) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    assert [(use.run, use.step, use.status) for use in lineage.reuses.shown] == [
        (ui_quickstart.retrain, "train_model", "cached")
    ]
    assert lineage.reuses.shown[0].cached_from == ui_quickstart.replay


def test_the_consumers_are_the_steps_that_took_it_as_an_input_newest_first(
    ui_quickstart: Quickstart,
) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    runs = [ui_quickstart.first, ui_quickstart.replay, ui_quickstart.retrain]
    assert [(use.run, use.step, use.name) for use in lineage.consumers.shown] == [
        (run, "evaluate", "model") for run in sorted(runs, reverse=True)
    ]
    assert (lineage.consumers.total, lineage.consumers.more) == (3, 0)


def test_the_models_naming_it_come_with_their_aliases(ui_quickstart: Quickstart) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    assert [(model.name, model.aliases) for model in lineage.models] == [
        ("my_model", ("production",))
    ]


def test_the_models_ancestry_reaches_the_snapshot_of_the_housing_data(
    ui_quickstart: Quickstart,
) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    housing = _record(ui_quickstart, ui_quickstart.first).inputs["data/housing.csv"]
    assert [(s.uri, s.oid, s.files) for s in lineage.ancestry.sources] == [
        ("data/housing.csv", housing.oid, 1)
    ]
    assert [step.step for step in lineage.ancestry.steps] == ["train_model", "ingest_data"]


def test_the_ancestry_crosses_runs_to_the_step_that_made_each_input(
    ui_quickstart: Quickstart,
) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.retrain)
    )
    made = {step.step: step.run for step in lineage.ancestry.steps}
    assert made == {
        "retrain_model": ui_quickstart.retrain,
        "ingest_drops": ui_quickstart.retrain,
        "ingest_data": ui_quickstart.first,  # cached in the retraining run
    }
    assert sorted(s.uri for s in lineage.ancestry.sources) == ["data/drops/", "data/housing.csv"]


def test_a_data_snapshot_is_an_artifact_no_step_made(ui_quickstart: Quickstart) -> None:
    housing = _record(ui_quickstart, ui_quickstart.first).inputs["data/housing.csv"]
    lineage = artifact_lineage(ui_quickstart.project, housing.oid)
    assert lineage.producer is None
    assert lineage.artifact.type == "data snapshot"
    assert {use.step for use in lineage.consumers.shown} == {"ingest_data"}
    assert [source.oid for source in lineage.ancestry.sources] == [housing.oid]


def test_a_unique_prefix_names_the_artifact(ui_quickstart: Quickstart) -> None:
    oid = _model_oid(ui_quickstart, ui_quickstart.first)
    assert artifact_lineage(ui_quickstart.project, oid[:8].upper()).artifact.oid == oid


def test_an_id_no_run_recorded_is_an_error(ui_quickstart: Quickstart) -> None:
    with pytest.raises(UnknownArtifactError, match=r"no recorded run made .*repro pull"):
        artifact_lineage(ui_quickstart.project, "0123456789abcdef")


def test_a_prefix_of_two_artifacts_is_an_error(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    project = _copy(ui_quickstart, tmp_path)
    retrain = _record(ui_quickstart, ui_quickstart.retrain)
    _save(project, _with_step(retrain, "a", "abcdef01" + "0" * 24, {}))
    _save(project, _with_step(retrain, "b", "abcdef01" + "1" * 24, {}))
    with pytest.raises(AmbiguousArtifactError, match=r"matches 2 artifacts .*more characters"):
        artifact_lineage(project, "abcdef01")


@pytest.mark.parametrize("text", ["../../etc/passwd", "xyz12345678", "abc1234"])
def test_an_id_that_is_not_hex_enough_is_refused_before_any_record_is_read(
    ui_quickstart: Quickstart, tmp_path: Path, text: str
) -> None:
    project = _copy(ui_quickstart, tmp_path)
    Path(project.repro_dir, "runs", "01aaaaaaaaaaaa.json").write_text("{damaged")
    with pytest.raises(ArtifactIdError, match="is not an artifact id: give its hex digits"):
        artifact_lineage(project, text)


def test_an_input_that_no_record_made_ends_the_ancestry_as_unknown(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project = _copy(ui_quickstart, tmp_path)
    stray, made = "f" * 32, "e" * 32
    _save(
        project, _with_step(_record(ui_quickstart, ui_quickstart.retrain), "x", made, {"in": stray})
    )
    assert artifact_lineage(project, made).ancestry.unknown == (stray,)


def _reruns(quickstart: Quickstart, tmp_path: Path, count: int) -> Project:
    """A copy of the quickstart with ``count`` more runs like the first (every
    one executed, so each made and consumed its artifacts again)."""
    project = _copy(quickstart, tmp_path)
    first = _record(quickstart, quickstart.first)
    for _ in range(count):
        _save(project, first.model_copy(update={"id": new_run_id()}))
    return project


def test_long_lists_show_the_newest_uses_and_count_the_rest(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project = _reruns(ui_quickstart, tmp_path, MAX_USES + 2)
    lineage = artifact_lineage(project, _model_oid(ui_quickstart, ui_quickstart.first))
    newest = sorted(RunIndex(project.repro_dir).ids(), reverse=True)[:MAX_USES]
    assert [use.run for use in lineage.consumers.shown] == newest
    assert (lineage.consumers.total, lineage.consumers.more) == (MAX_USES + 5, 5)
    assert (lineage.remade.total, len(lineage.remade.shown)) == (MAX_USES + 3, MAX_USES)


def test_a_lineage_loads_only_the_records_of_the_steps_that_made_its_ancestry(
    ui_quickstart: Quickstart, tmp_path: Path, loaded: list[str]
) -> None:
    project = _reruns(ui_quickstart, tmp_path, 30)
    oid = _model_oid(ui_quickstart, ui_quickstart.first)
    loaded.clear()
    lineage = artifact_lineage(project, oid)
    assert lineage.consumers.total == 33
    assert loaded == [ui_quickstart.first]  # train_model and ingest_data made the ancestry
