"""Selecting runs by pipeline, tag, metric threshold, commit and status."""

from __future__ import annotations

from typing import Any

import pytest
from experiments_testing import COMMIT, flow_record, record, step

from repro.experiments.filters import (
    InvalidMetricFilterError,
    InvalidRunFilterError,
    RunFilter,
    parse_metric_filter,
    select_runs,
)
from repro.lineage.records import RunRecord


def _ids(records: list[RunRecord], **options: Any) -> list[str]:
    return [r.id for r in select_runs(records, RunFilter.parse(**options))]


@pytest.fixture
def runs() -> list[RunRecord]:
    return [
        flow_record("run1", factor=3, tags={"team": "ml"}),  # total 18
        flow_record("run2", factor=4, commit="b" * 40),  # total 24
        record(
            "run3",
            pipeline="train",
            status="failed",
            steps={
                "fit": step(0, metrics={"rmse": 0.4, "val.loss": 0.2}, tags={"stage": "fit"}),
                "score": step(1, metrics={"rmse": 0.9}),
            },
        ),
    ]


def test_no_filter_keeps_every_run_in_order(runs: list[RunRecord]) -> None:
    assert _ids(runs) == ["run1", "run2", "run3"]


def test_a_pipeline_keeps_its_runs(runs: list[RunRecord]) -> None:
    assert _ids(runs, pipeline="train") == ["run3"]


def test_a_run_level_tag_selects(runs: list[RunRecord]) -> None:
    assert _ids(runs, tags=["team=ml"]) == ["run1"]


def test_a_step_tag_selects_its_run(runs: list[RunRecord]) -> None:
    assert _ids(runs, tags=["stage=fit"]) == ["run3"]


def test_a_tag_with_another_value_does_not_select(runs: list[RunRecord]) -> None:
    assert _ids(runs, tags=["team=data"]) == []


def test_every_tag_must_hold(runs: list[RunRecord]) -> None:
    assert _ids(runs, tags=["team=ml", "stage=fit"]) == []


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("total<20", ["run1"]),
        ("total<=24", ["run1", "run2"]),
        ("total>18", ["run2"]),
        ("total>=18", ["run1", "run2"]),
        ("total==24", ["run2"]),
        ("total!=24", ["run1"]),
        (" total > 1e1 ", ["run1", "run2"]),
    ],
)
def test_a_metric_threshold_selects_runs_whose_metric_passes(
    runs: list[RunRecord], expression: str, expected: list[str]
) -> None:
    assert _ids(runs, metrics=[expression]) == expected


def test_a_bare_metric_matches_any_steps_metric_of_that_name(runs: list[RunRecord]) -> None:
    assert _ids(runs, metrics=["rmse>0.8"]) == ["run3"]  # score's, not fit's


def test_a_step_qualified_metric_names_one_step(runs: list[RunRecord]) -> None:
    assert _ids(runs, metrics=["fit.rmse>0.8"]) == []
    assert _ids(runs, metrics=["score.rmse>0.8"]) == ["run3"]


def test_a_dotted_metric_name_that_names_no_step_is_a_bare_name(runs: list[RunRecord]) -> None:
    assert _ids(runs, metrics=["val.loss<0.5"]) == ["run3"]


def test_every_metric_threshold_must_hold(runs: list[RunRecord]) -> None:
    assert _ids(runs, metrics=["total>10", "total<20"]) == ["run1"]


def test_a_commit_prefix_selects_runs_of_that_commit(runs: list[RunRecord]) -> None:
    assert _ids(runs, commit="BBBB") == ["run2"]
    assert _ids(runs, commit=COMMIT[:7]) == ["run1", "run3"]


def test_a_run_without_a_commit_matches_no_commit_filter() -> None:
    assert _ids([flow_record("run1", commit=None)], commit="a") == []


def test_a_status_selects(runs: list[RunRecord]) -> None:
    assert _ids(runs, status="failed") == ["run3"]


def test_filters_combine(runs: list[RunRecord]) -> None:
    assert _ids(runs, pipeline="flow", metrics=["total>0"], commit="a") == ["run1"]


def test_a_metric_compared_with_a_word_is_an_error() -> None:
    with pytest.raises(InvalidMetricFilterError, match=r"^metric 'rmse<abc': 'abc' is not a num"):
        parse_metric_filter("rmse<abc")


@pytest.mark.parametrize("value", ["nan", "inf", ""])
def test_a_metric_compared_with_no_finite_number_is_an_error(value: str) -> None:
    with pytest.raises(InvalidMetricFilterError, match="is not a number"):
        parse_metric_filter(f"rmse>{value}")


@pytest.mark.parametrize("expression", ["rmse", "rmse=0.5", "<0.5", "rmse=>0.5"])
def test_an_expression_without_a_comparison_is_an_error(expression: str) -> None:
    with pytest.raises(InvalidMetricFilterError, match=r"expected METRIC OP NUMBER"):
        parse_metric_filter(expression)


def test_a_metric_filter_error_is_a_usage_error() -> None:
    with pytest.raises(InvalidMetricFilterError) as caught:
        parse_metric_filter("rmse<abc")
    assert caught.value.exit_code == 2
    assert caught.value.expression == "rmse<abc"
    assert "\n" not in str(caught.value)


def test_a_tag_without_a_value_is_an_error() -> None:
    with pytest.raises(InvalidRunFilterError, match=r"^tag 'team': expected KEY=VALUE"):
        RunFilter.parse(tags=["team"])


def test_an_unknown_status_is_an_error() -> None:
    with pytest.raises(InvalidRunFilterError, match=r"^status 'ok': expected one of running, "):
        RunFilter.parse(status="ok")


def test_a_commit_that_is_not_hex_is_an_error() -> None:
    with pytest.raises(InvalidRunFilterError, match=r"^commit 'main': expected a commit id"):
        RunFilter.parse(commit="main")
