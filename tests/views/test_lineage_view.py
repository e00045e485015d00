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
    AmbiguousArtifactError,
    ArtifactIdError,
    UnknownArtifactError,
    ancestry_dot,
    ancestry_svg,
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
    assert [(use.run, use.replay_of) for use in lineage.remade] == [
        (ui_quickstart.replay, ui_quickstart.first)
    ]


def test_a_cached_step_is_a_reuse_naming_the_run_it_came_from(
    ui_quickstart: Quickstart,
) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    assert [(use.run, use.step, use.status) for use in lineage.reuses] == [
        (ui_quickstart.retrain, "train_model", "cached")
    ]
    assert lineage.reuses[0].cached_from == ui_quickstart.replay


def test_the_consumers_are_the_steps_that_took_it_as_an_input(
    ui_quickstart: Quickstart,
) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    runs = [ui_quickstart.first, ui_quickstart.replay, ui_quickstart.retrain]
    assert [(use.run, use.step, use.name) for use in lineage.consumers] == [
        (run, "evaluate", "model") for run in sorted(runs)
    ]


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
    assert {use.step for use in lineage.consumers} == {"ingest_data"}
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


def test_the_ancestry_graph_links_every_node_to_its_page(ui_quickstart: Quickstart) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    housing = lineage.ancestry.sources[0].oid

    def link(name: str, query: object = None, **values: str) -> str:
        return f"/{name}/{'/'.join(values.values())}"

    dot = ancestry_dot(lineage, link)
    assert f'URL="/tree/{housing}"' in dot
    assert f'URL="/artifact/{lineage.artifact.oid}"' in dot
    assert f'URL="/run/{ui_quickstart.first}"' in dot


def test_the_ancestry_graph_of_a_report_links_nowhere(ui_quickstart: Quickstart) -> None:
    lineage = artifact_lineage(
        ui_quickstart.project, _model_oid(ui_quickstart, ui_quickstart.first)
    )
    assert "URL=" not in ancestry_dot(lineage, lambda *args, **values: None)


def test_graphviz_escapes_html_in_step_names_and_types(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project = _copy(ui_quickstart, tmp_path)
    retrain = _record(ui_quickstart, ui_quickstart.retrain)
    _save(project, _with_step(retrain, HTML, "d" * 32, {HTML: "e" * 32}, type_=HTML))
    svg = ancestry_svg(artifact_lineage(project, "d" * 32), lambda *args, **values: None)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "<script" not in svg
