"""The comparison page (/compare?run=A&run=B…): runs side by side with the
differing rows marked, each step's cache key explained, the picker when no
run is given, the error pages, and user text escaped."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ui_testing import Quickstart

from repro.lineage.runs import RunIndex
from repro.project import Project

if TYPE_CHECKING:
    from flask.testing import FlaskClient

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _get(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _element(text: str, start: str, end: str) -> str:
    part = text[text.index(start) :]
    return part[: part.index(end)]


@pytest.fixture
def compared(ui_client: FlaskClient, ui_quickstart: Quickstart) -> str:
    return _get(ui_client, f"/compare?run={ui_quickstart.first}&run={ui_quickstart.retrain}")


def test_the_comparison_has_its_sections(compared: str) -> None:
    assert '<section id="compare">' in compared and '<section id="compare-steps">' in compared
    for table in ("compare-params", "compare-metrics", "compare-pins", "compare-outputs"):
        assert f'<table id="{table}"' in compared


def test_each_run_is_a_column_linking_to_it(compared: str, ui_quickstart: Quickstart) -> None:
    head = _element(compared, '<table id="compare-params"', "</thead>")
    assert head.count("<th>") == 3
    assert f'href="/runs/{ui_quickstart.first}"' in head
    assert f'href="/runs/{ui_quickstart.retrain}"' in head


def test_a_differing_metric_row_is_marked(compared: str) -> None:
    row = _element(compared, '<tr data-key="check_drift.drifted_columns"', ">")
    assert 'class="differs"' in row
    assert 'class="differs"' not in _element(compared, '<tr data-key="evaluate.rmse"', ">")


def test_a_metric_links_to_its_chart(compared: str) -> None:
    assert 'href="/metrics?metric=evaluate.rmse"' in compared


def test_outputs_link_to_their_artifacts(compared: str) -> None:
    row = _element(compared, '<tr data-key="train_model.output"', "</tr>")
    assert re.search(r'href="/artifacts/[0-9a-f]{32}"', row)


def test_a_steps_key_difference_is_explained(compared: str) -> None:
    row = _element(compared, '<tr data-step="ingest_drops"', "</tr>")
    assert 'class="differs"' in row
    assert 'data-component="data"' in row
    assert "input &#39;folder&#39; changed (data data/drops/)" in row


def test_a_step_with_the_same_key_says_so(compared: str) -> None:
    row = _element(compared, '<tr data-step="train_model"', "</tr>")
    assert "same key" in row and 'class="differs"' not in row


def test_prefixes_name_the_runs(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    text = _get(ui_client, f"/compare?run={ui_quickstart.first[:-1]}&run={ui_quickstart.replay}")
    assert f'href="/runs/{ui_quickstart.first}"' in text


def test_no_run_given_offers_runs_to_pick(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    text = _get(ui_client, "/compare")
    picker = _element(text, '<form method="get" action="/compare"', "</form>")
    for run in (ui_quickstart.first, ui_quickstart.replay, ui_quickstart.retrain):
        assert f'<input type="checkbox" name="run" value="{run}"' in picker
    assert 'id="compare-selected"' in picker


def test_an_unknown_run_is_a_404_page(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    response = ui_client.get(f"/compare?run={ui_quickstart.first}&run=zzzz")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "no run matches &#39;zzzz&#39;" in text and 'href="/runs"' in text


def test_one_run_is_a_400_page(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    response = ui_client.get(f"/compare?run={ui_quickstart.first}")
    assert response.status_code == 400
    assert "give two runs or more" in response.get_data(as_text=True)


def test_runs_of_different_pipelines_carry_the_note(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    from repro.ui.app import create_app

    source = RunIndex(ui_quickstart.project.repro_dir)
    index = RunIndex(str(tmp_path / ".repro"))
    index.save(source.load(ui_quickstart.first))
    index.save(source.load(ui_quickstart.retrain).model_copy(update={"pipeline": "nightly"}))
    client = create_app(Project(str(tmp_path))).test_client()
    text = _get(client, f"/compare?run={ui_quickstart.first}&run={ui_quickstart.retrain}")
    assert "runs of different pipelines: quickstart, nightly" in text


@pytest.fixture
def hostile(ui_quickstart: Quickstart, tmp_path: Path) -> str:
    """Two runs whose param value, metric name and tag are markup, compared."""
    from repro.ui.app import create_app

    source = RunIndex(ui_quickstart.project.repro_dir)
    index = RunIndex(str(tmp_path / ".repro"))
    for run_id in (ui_quickstart.first, ui_quickstart.retrain):
        record = source.load(run_id)
        evaluate = record.steps["evaluate"].model_copy(update={"metrics": {SCRIPT: 1.0}})
        update = {
            "params": {**record.params, "note": IMAGE},
            "steps": {**record.steps, "evaluate": evaluate},
            "tags": {SCRIPT: IMAGE},
        }
        index.save(record.model_copy(update=update))
    client = create_app(Project(str(tmp_path))).test_client()
    return _get(client, f"/compare?run={ui_quickstart.first}&run={ui_quickstart.retrain}")


def test_a_param_value_is_escaped(hostile: str) -> None:
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile and IMAGE not in hostile


def test_a_metric_name_is_escaped_in_the_table_and_its_link(hostile: str) -> None:
    assert f"evaluate.{ESCAPED_SCRIPT}" in hostile
    assert "/metrics?metric=evaluate.%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in hostile
    assert SCRIPT not in hostile


def test_tags_are_escaped_in_the_picker(hostile: str, tmp_path: Path) -> None:
    from repro.ui.app import create_app

    text = _get(create_app(Project(str(tmp_path))).test_client(), "/compare")
    assert f"{ESCAPED_SCRIPT}=&lt;img src=x onerror=alert(1)&gt;" in text
    assert SCRIPT not in text and IMAGE not in text
