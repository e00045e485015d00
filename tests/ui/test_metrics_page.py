"""The metrics page (/metrics): the metrics on offer as links, the chosen
one drawn as inline SVG with its points as a table, the error pages, and a
metric's name escaped wherever it shows."""

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
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _get(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _points(text: str) -> list[str]:
    table = text[text.index('<table id="points">') :]
    return re.findall(r'<tr data-run="([^"]+)">', table[: table.index("</table>")])


def test_every_metric_links_to_its_chart(ui_client: FlaskClient) -> None:
    text = _get(ui_client, "/metrics")
    for name in ("drifted_columns", "evaluate.rmse", "evaluate_2.rmse"):
        assert f'href="/metrics?metric={name}&amp;by=run" data-metric="{name}"' in text


def test_the_first_metric_is_drawn_when_none_is_asked(ui_client: FlaskClient) -> None:
    text = _get(ui_client, "/metrics")
    chart = text[text.index('<section id="chart" class="chart"') :]
    assert 'data-metric="drifted_columns"' in chart[:80]
    assert "<svg" in chart[: chart.index("</section>")]


def test_the_points_are_a_table_of_runs(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    text = _get(ui_client, "/metrics?metric=evaluate.rmse")
    expected = [ui_quickstart.first, ui_quickstart.replay, ui_quickstart.retrain]
    assert _points(text) == expected
    assert f'href="/runs/{ui_quickstart.retrain}"' in text


def test_by_commit_shows_a_point_per_commit(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    text = _get(ui_client, "/metrics?metric=evaluate.rmse&by=commit")
    assert _points(text) == [ui_quickstart.replay, ui_quickstart.retrain]
    assert '<option value="commit" selected>' in text


def test_the_chart_form_keeps_the_metric(ui_client: FlaskClient) -> None:
    text = _get(ui_client, "/metrics?metric=evaluate.rmse&pipeline=quickstart")
    assert '<input type="hidden" name="metric" value="evaluate.rmse">' in text
    assert '<option value="quickstart" selected>' in text


def test_an_unknown_metric_is_a_404_page(ui_client: FlaskClient) -> None:
    response = ui_client.get("/metrics?metric=loss")
    assert response.status_code == 404
    assert "no run has a metric &#39;loss&#39;" in response.get_data(as_text=True)


def test_a_metric_two_steps_log_asks_for_its_step(ui_client: FlaskClient) -> None:
    response = ui_client.get("/metrics?metric=rmse")
    assert response.status_code == 404
    assert "name one as STEP.METRIC" in response.get_data(as_text=True)


def test_an_unknown_axis_is_a_400_page_naming_the_parameter(ui_client: FlaskClient) -> None:
    response = ui_client.get("/metrics?by=zzz")
    assert response.status_code == 400
    found = re.search(r'<p class="message">(.*?)</p>', response.get_data(as_text=True))
    assert found is not None
    assert found.group(1) == "by &#39;zzz&#39;: expected one of run, commit"


def test_no_metrics_says_how_to_log_one(tmp_path: Path) -> None:
    from repro.ui.app import create_app

    text = _get(create_app(Project(str(tmp_path))).test_client(), "/metrics")
    assert 'id="no-metrics"' in text and "repro.log_metric" in text


@pytest.fixture
def hostile(ui_quickstart: Quickstart, tmp_path: Path) -> str:
    """The metrics page of a run whose only metric's name is markup."""
    from repro.ui.app import create_app

    record = RunIndex(ui_quickstart.project.repro_dir).load(ui_quickstart.first)
    steps = {name: step.model_copy(update={"metrics": {}}) for name, step in record.steps.items()}
    steps["evaluate"] = record.steps["evaluate"].model_copy(update={"metrics": {SCRIPT: 2.0}})
    RunIndex(str(tmp_path / ".repro")).save(record.model_copy(update={"steps": steps}))
    return _get(create_app(Project(str(tmp_path))).test_client(), "/metrics")


def test_a_metric_name_is_escaped_in_links_headings_and_chart(hostile: str) -> None:
    assert f'data-metric="{ESCAPED_SCRIPT}"' in hostile
    assert f"<h2>{ESCAPED_SCRIPT} by run</h2>" in hostile
    chart = hostile[hostile.index("<svg") : hostile.index("</svg>")]
    assert ESCAPED_SCRIPT in chart
    assert "<script" not in hostile
