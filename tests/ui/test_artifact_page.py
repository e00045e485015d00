"""The artifact page over the quickstart: who made my_model's production
version, who reused and consumed it, its model, and its ancestry back to
data/housing.csv; 404 pages for ids that name nothing; user text escaped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ui_testing import Quickstart

from repro.lineage.records import ArtifactRecord, ModelVersion
from repro.lineage.runs import RunIndex, new_run_id
from repro.project import Project
from repro.ui.app import create_app
from repro.ui.routes import route_path

if TYPE_CHECKING:
    from flask.testing import FlaskClient

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def _production(quickstart: Quickstart) -> str:
    return RunIndex(quickstart.project.repro_dir).load(quickstart.first).models[0].version


def _section(html: str, name: str) -> str:
    found = re.search(rf'<section id="{name}"[^>]*>(.*?)</section>', html, re.DOTALL)
    assert found is not None, f"no section {name}"
    return found.group(1)


def _page(client: FlaskClient, oid: str) -> str:
    response = client.get(route_path("artifact", oid=oid))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_produced_by_links_the_run_and_names_the_step(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    section = _section(_page(ui_client, _production(ui_quickstart)), "produced-by")
    assert f'href="{route_path("run", run=ui_quickstart.first)}"' in section
    assert '<strong class="step">train_model</strong>' in section


def test_the_run_that_reused_it_from_the_cache_is_listed(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    section = _section(_page(ui_client, _production(ui_quickstart)), "produced-by")
    row = f'<tr data-run="{ui_quickstart.retrain}" data-step="train_model">'
    assert row in section
    assert f"from run {ui_quickstart.replay}" in section


def test_consumed_by_has_a_row_per_consuming_step_newest_first(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    section = _section(_page(ui_client, _production(ui_quickstart)), "consumed-by")
    rows = re.findall(r'<tr data-run="([^"]+)" data-step="([^"]+)">', section)
    runs = [ui_quickstart.first, ui_quickstart.replay, ui_quickstart.retrain]
    assert rows == [(run, "evaluate") for run in sorted(runs, reverse=True)]
    assert "in all" not in section


def test_the_ancestry_draws_the_graph_and_lists_the_housing_snapshot(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    section = _section(_page(ui_client, _production(ui_quickstart)), "ancestry")
    housing = RunIndex(ui_quickstart.project.repro_dir).load(ui_quickstart.first)
    tree = route_path("tree", oid=housing.inputs["data/housing.csv"].oid)
    assert "<svg" in section
    (source,) = re.findall(r'<li class="data-source".*?</li>', section, re.DOTALL)
    assert "data/housing.csv" in source
    assert f'href="{tree}"' in source


def test_with_no_program_on_the_path_the_ancestry_is_drawn_and_listed(
    ui_client: FlaskClient, ui_quickstart: Quickstart, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    section = _section(_page(ui_client, _production(ui_quickstart)), "ancestry")
    assert '<div class="dag"><svg' in section
    assert 'class="data-source"' in section


def test_the_models_section_links_the_model_and_shows_its_alias(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    section = _section(_page(ui_client, _production(ui_quickstart)), "models")
    assert f'href="{route_path("model", name="my_model")}"' in section
    assert ">production<" in section


def test_a_unique_prefix_shows_the_artifact(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    oid = _production(ui_quickstart)
    assert f'<span class="oid">{oid}</span>' in _page(ui_client, oid[:10])


def test_an_unknown_artifact_is_a_404_page_with_the_hint(ui_client: FlaskClient) -> None:
    response = ui_client.get("/artifacts/0123456789abcdef")
    assert response.status_code == 404
    assert "repro pull" in response.get_data(as_text=True)


def test_an_id_that_is_not_hex_is_a_404_page(ui_client: FlaskClient) -> None:
    response = ui_client.get("/artifacts/%3Cscript%3E")
    text = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "is not an artifact id" in text
    assert "<script>" not in text


def _hostile_project(quickstart: Quickstart, tmp_path: Path) -> tuple[Project, str]:
    """A copy whose newest run has a step, output type, argument, pipeline
    and model named with HTML; the id of that step's output."""
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    index = RunIndex(str(root / ".repro"))
    record = index.load(quickstart.retrain)
    step = record.steps["retrain_model"]
    assert step.fingerprints is not None
    oid = "c" * 32
    output = ArtifactRecord(
        oid=oid, kind="blob", materializer=IMG, version="1", type=SCRIPT, size=1
    )
    fingerprints = step.fingerprints.model_copy(update={"inputs": {SCRIPT: "d" * 32}})
    hostile = step.model_copy(
        update={"outputs": {IMG: output}, "fingerprints": fingerprints, "position": 9}
    )
    model = ModelVersion(name=SCRIPT, version=oid, step=IMG, output=IMG)
    index.save(
        record.model_copy(
            update={
                "id": new_run_id(),
                "pipeline": IMG,
                "steps": {**record.steps, IMG: hostile},
                "models": [model],
            }
        )
    )
    return Project(str(root)), oid


def test_html_in_step_output_pipeline_and_model_names_is_escaped(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project, oid = _hostile_project(ui_quickstart, tmp_path)
    text = _page(create_app(project).test_client(), oid)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert SCRIPT not in text
    assert IMG not in text
