"""A metric across runs or commits, and one run's table of metrics."""

from __future__ import annotations

import json

import pytest
from experiments_testing import flow_record, record, step

from repro.experiments.metrics import (
    AmbiguousMetricError,
    InvalidMetricAxisError,
    MetricRow,
    UnknownMetricError,
    latest_runs,
    metric_series,
    metrics_table,
)

T1, T2, T3 = (f"2026-01-01T00:00:0{i}.000+00:00" for i in (1, 2, 3))


def test_a_series_follows_run_time_not_the_order_given() -> None:
    runs = [flow_record("run3", factor=5, created=T3), flow_record("run1", created=T1)]
    series = metric_series(runs, "total")
    assert [(p.run, p.value) for p in series.points] == [("run1", 18.0), ("run3", 30.0)]
    assert series.labels() == ["run1", "run3"]


def test_runs_without_the_metric_are_left_out() -> None:
    runs = [flow_record("run1", created=T1), record("run2", created=T2, steps={"a": step(0)})]
    assert [p.run for p in metric_series(runs, "total").points] == ["run1"]


def test_by_commit_keeps_the_latest_run_of_each_commit() -> None:
    runs = [
        flow_record("run1", created=T1, commit="a" * 40),
        flow_record("run2", factor=4, created=T2, commit="b" * 40),
        flow_record("run3", factor=5, created=T3, commit="a" * 40),
    ]
    series = metric_series(runs, "total", by="commit")
    assert [(p.run, p.value) for p in series.points] == [("run2", 24.0), ("run3", 30.0)]
    assert series.labels() == ["b" * 10, "a" * 10]


def test_a_step_qualified_metric_takes_that_steps_value() -> None:
    run = record("run1", steps={"fit": step(0, metrics={"rmse": 1}), "eval": step(1)})
    point = metric_series([run], "fit.rmse").points[0]
    assert (point.step, point.value) == ("fit", 1.0)


def test_a_bare_metric_two_steps_log_is_ambiguous() -> None:
    steps = {"fit": step(0, metrics={"rmse": 1}), "eval": step(1, metrics={"rmse": 2})}
    with pytest.raises(AmbiguousMetricError, match=r"name one as STEP.METRIC \(e.g. fit.rmse\)"):
        metric_series([record("run1", steps=steps)], "rmse")


def test_a_metric_no_run_has_names_the_metrics_recorded() -> None:
    runs = [flow_record("run1"), record("run2", steps={"fit": step(0, metrics={"rmse": 1})})]
    with pytest.raises(
        UnknownMetricError, match=r"no run has a metric 'loss'; metrics recorded: rmse, total$"
    ):
        metric_series(runs, "loss")


def test_a_metric_asked_of_no_runs_says_none_is_recorded() -> None:
    with pytest.raises(UnknownMetricError, match="metrics recorded: none"):
        metric_series([], "loss")


def test_an_unknown_axis_is_a_usage_error() -> None:
    with pytest.raises(InvalidMetricAxisError, match=r"^by 'week': expected one of run, commit"):
        metric_series([flow_record("run1")], "total", by="week")


def test_a_series_is_json() -> None:
    doc = metric_series([flow_record("run1")], "total").to_dict()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["points"][0]["step"] == "total" and doc["by"] == "run"


def test_a_runs_metrics_table_follows_its_steps() -> None:
    steps = {
        "score": step(1, metrics={"rmse": 0.5, "mae": 0.25}),
        "fit": step(0, metrics={"loss": 2}),
    }
    table = metrics_table(record("run1", steps=steps))
    assert table.rows == (
        MetricRow("fit", "loss", 2.0),
        MetricRow("score", "mae", 0.25),
        MetricRow("score", "rmse", 0.5),
    )
    assert table.to_dict()["metrics"][0] == {"step": "fit", "metric": "loss", "value": 2.0}


def test_latest_runs_keeps_one_run_per_pipeline() -> None:
    runs = [
        flow_record("run2", created=T2),
        record("run3", pipeline="other", created=T3),
        flow_record("run1", created=T1),
    ]
    assert [r.id for r in latest_runs(runs)] == ["run2", "run3"]
