"""The metrics page as data: the metrics on offer (each named so that it
charts), one of them across runs or commits, and matplotlib's SVG of it,
whose text is escaped by matplotlib itself."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ui_testing import Quickstart

from repro.experiments.metrics import InvalidMetricAxisError, UnknownMetricError
from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex, derived_run_id
from repro.project import Project
from repro.views.charts import MAX_RUNS, metrics_chart

HOSTILE = "<script>alert(1)</script>"
START_MS = 1_800_000_000_000
Store = Callable[..., Project]


@pytest.fixture
def store(tmp_path: Path, ui_quickstart: Quickstart) -> Store:
    """``count`` copies of the retraining run, oldest first, each with the
    fields ``vary(number)`` gives."""
    template = RunIndex(ui_quickstart.project.repro_dir).load(ui_quickstart.retrain)

    def make(count: int, vary: Callable[[RunRecord, int], dict[str, Any]]) -> Project:
        index = RunIndex(str(tmp_path / ".repro"))
        for number in range(count):
            run_id = derived_run_id(START_MS + number * 1000, "0")
            index.save(template.model_copy(update={"id": run_id, **vary(template, number)}))
        return Project(str(tmp_path))

    return make


def _renamed(record: RunRecord, metric: str) -> dict[str, Any]:
    """The run's ``evaluate`` step logging ``metric`` as its only metric."""
    step = record.steps["evaluate"].model_copy(update={"metrics": {metric: 1.5}})
    bare = {name: s.model_copy(update={"metrics": {}}) for name, s in record.steps.items()}
    return {"steps": {**bare, "evaluate": step}}


def test_a_metric_two_steps_log_is_offered_by_step(ui_quickstart: Quickstart) -> None:
    chart = metrics_chart(ui_quickstart.project)
    assert chart.metrics == ("drifted_columns", "evaluate.rmse", "evaluate_2.rmse")


def test_with_no_metric_asked_the_first_is_charted(ui_quickstart: Quickstart) -> None:
    chart = metrics_chart(ui_quickstart.project)
    assert chart.metric == "drifted_columns"
    assert chart.series is not None and len(chart.series.points) == 3


def test_a_metric_is_charted_run_by_run(ui_quickstart: Quickstart) -> None:
    chart = metrics_chart(ui_quickstart.project, "evaluate.rmse")
    assert chart.series is not None
    runs = [point.run for point in chart.series.points]
    assert runs == [ui_quickstart.first, ui_quickstart.replay, ui_quickstart.retrain]


def test_by_commit_a_commits_latest_run_stands_for_it(ui_quickstart: Quickstart) -> None:
    chart = metrics_chart(ui_quickstart.project, "evaluate.rmse", by="commit")
    assert chart.series is not None
    assert [point.run for point in chart.series.points] == [
        ui_quickstart.replay,
        ui_quickstart.retrain,
    ]


def test_the_chart_is_an_inline_svg(ui_quickstart: Quickstart) -> None:
    svg = metrics_chart(ui_quickstart.project, "evaluate.rmse").svg
    assert svg is not None and svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_an_unknown_metric_is_a_lookup_error_listing_the_metrics(
    ui_quickstart: Quickstart,
) -> None:
    with pytest.raises(
        UnknownMetricError, match=r"no run has a metric 'loss'; metrics recorded: d"
    ):
        metrics_chart(ui_quickstart.project, "loss")
    assert issubclass(UnknownMetricError, LookupError)  # the UI's 404 page


def test_an_unknown_axis_is_an_error(ui_quickstart: Quickstart) -> None:
    with pytest.raises(InvalidMetricAxisError, match=r"^by 'day': expected one of run, commit$"):
        metrics_chart(ui_quickstart.project, by="day")


def test_a_pipeline_keeps_the_chart_to_its_runs(store: Store) -> None:
    project = store(4, lambda record, n: {"pipeline": "a" if n % 2 else "b"})
    chart = metrics_chart(project, "evaluate.rmse", pipeline="a")
    assert chart.series is not None and {p.pipeline for p in chart.series.points} == {"a"}
    assert chart.pipelines == ("a", "b") and chart.runs == 2


def test_no_metrics_is_an_empty_chart(tmp_path: Path) -> None:
    chart = metrics_chart(Project(str(tmp_path)))
    assert (chart.metrics, chart.metric, chart.series, chart.svg) == ((), None, None, None)


def test_only_the_latest_runs_are_charted(store: Store) -> None:
    project = store(MAX_RUNS + 3, lambda record, n: {})
    chart = metrics_chart(project, "evaluate.rmse")
    assert chart.series is not None and len(chart.series.points) == MAX_RUNS
    assert chart.runs == MAX_RUNS + 3 and chart.truncated
    oldest_charted = derived_run_id(START_MS + 3 * 1000, "0")
    assert chart.series.points[0].run == oldest_charted


def test_matplotlib_escapes_a_metric_name_in_the_svg(store: Store) -> None:
    project = store(2, lambda record, n: _renamed(record, HOSTILE))
    svg = metrics_chart(project, HOSTILE).svg
    assert svg is not None
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    texts = {"".join(node.itertext()).strip() for node in ET.fromstring(svg).iter()}
    assert HOSTILE in texts  # shown as text, whole


def test_a_dollar_in_a_metric_name_is_not_tex(store: Store) -> None:
    name = r"$\frac$ cost"  # as TeX, a syntax error that would stop the chart
    project = store(1, lambda record, n: _renamed(record, name))
    svg = metrics_chart(project, name).svg
    assert svg is not None and name in svg
