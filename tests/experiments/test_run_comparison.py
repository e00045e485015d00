"""Runs side by side, and why each step's cache key differs from the first
run's: code, data, params, environment, image."""

from __future__ import annotations

import json
from typing import Any

import pytest
from experiments_testing import flow_record, oid, record, step

from repro.experiments.compare import (
    Comparison,
    InvalidComparisonError,
    KeyDifference,
    Row,
    compare_runs,
)


def _row(rows: tuple[Row, ...], key: str) -> tuple[Any, ...]:
    return {row.key: row.values for row in rows}[key]


def _why(comparison: Comparison, step: str, run: int = 1) -> KeyDifference:
    found = {s.step: s for s in comparison.steps}[step]
    return found.differences[run - 1]


def test_params_sit_side_by_side_marked_when_they_differ() -> None:
    comparison = compare_runs([flow_record("run1"), flow_record("run2", factor=4)])
    rows = {row.key: row for row in comparison.params}
    assert rows["factor"].values == (3, 4) and not rows["factor"].same
    assert rows["data"].same


def test_logged_params_are_named_by_their_step() -> None:
    first = record("run1", steps={"fit": step(0, logged_params={"depth": 3})})
    second = record("run2", steps={"fit": step(0, logged_params={"depth": 5})})
    assert _row(compare_runs([first, second]).params, "fit.depth") == (3, 5)


def test_metrics_are_named_by_their_step() -> None:
    comparison = compare_runs([flow_record("run1"), flow_record("run2", factor=4)])
    assert _row(comparison.metrics, "total.total") == (18.0, 24.0)


def test_pins_hold_commit_environment_images_and_data_snapshots() -> None:
    first = flow_record("run1")
    second = flow_record("run2", rows="1,2", commit="b" * 40, dirty=True)
    pins = compare_runs([first, second]).pins
    assert _row(pins, "commit") == ("a" * 40, "b" * 40)
    assert _row(pins, "dirty") == (False, True)
    assert _row(pins, "environment") == ("e" * 32, "e" * 32)
    assert _row(pins, "data.data/rows.csv") == (oid("1,2,3"), oid("1,2"))


def test_a_steps_image_is_a_pin() -> None:
    first = record("run1", steps={"fit": step(0, image="repro@sha256:" + "1" * 64)})
    second = record("run2", steps={"fit": step(0, image="repro@sha256:" + "2" * 64)})
    images = _row(compare_runs([first, second]).pins, "image.fit")
    assert [image[-3:] for image in images] == ["111", "222"]


def test_outputs_are_compared_by_id() -> None:
    comparison = compare_runs([flow_record("run1"), flow_record("run2", factor=4)])
    rows = {row.key: row for row in comparison.outputs}
    assert rows["load.output"].same
    assert not rows["transform.output"].same


def test_a_step_with_the_same_key_has_no_reasons() -> None:
    comparison = compare_runs([flow_record("run1"), flow_record("run2", factor=4)])
    assert _why(comparison, "load") == KeyDifference("run2", (), ())
    assert _why(comparison, "load").same


def test_a_param_change_is_named_with_both_values() -> None:
    comparison = compare_runs([flow_record("run1"), flow_record("run2", factor=4)])
    why = _why(comparison, "transform")
    assert why.components == ("params",)
    assert why.reasons == ("param factor: 3 -> 4",)


def test_an_upstream_output_that_changed_is_named_as_data() -> None:
    comparison = compare_runs([flow_record("run1"), flow_record("run2", factor=4)])
    why = _why(comparison, "total")
    assert why.components == ("data",)
    assert why.reasons == ("input 'values' changed (output 'output' of step 'transform')",)


def test_a_dataset_that_changed_is_named_by_its_uri() -> None:
    comparison = compare_runs([flow_record("run1"), flow_record("run2", rows="1,2")])
    assert _why(comparison, "load").reasons == ("input 'path' changed (data data/rows.csv)",)


def test_params_and_data_both_changed_are_both_named() -> None:
    comparison = compare_runs([flow_record("run1"), flow_record("run2", factor=4, rows="1,2")])
    why = _why(comparison, "transform")
    assert why.components == ("data", "params")
    assert len(why.reasons) == 2


def test_a_code_change_names_the_files_that_changed() -> None:
    first = record("run1", steps={"fit": step(0, code_files={"a.py": "1", "b.py": "1"})})
    second = record(
        "run2", steps={"fit": step(0, code="edited", code_files={"a.py": "1", "b.py": "2"})}
    )
    why = _why(compare_runs([first, second]), "fit")
    assert (why.components, why.reasons) == (("code",), ("code changed (b.py)",))


def test_an_environment_change_names_the_distributions_that_changed() -> None:
    first = record("run1", steps={"fit": step(0)})
    second = record(
        "run2",
        steps={"fit": step(0, environment="f" * 32)},
        environment="f" * 32,
        distributions={"numpy": "2.5.0"},
    )
    why = _why(compare_runs([first, second]), "fit")
    assert why.components == ("environment",)
    assert why.reasons == ("environment changed (numpy 2.4.6 -> 2.5.0)",)


def test_an_image_change_names_both_images() -> None:
    first = record("run1", steps={"fit": step(0)})
    second = record("run2", steps={"fit": step(0, image="repro@sha256:" + "2" * 64)})
    why = _why(compare_runs([first, second]), "fit")
    assert why.components == ("image",)
    assert why.reasons == (f"image (none: local) -> repro@sha256:{'2' * 64}",)


def test_a_step_missing_from_a_run_says_so() -> None:
    first = record("run1", steps={"fit": step(0)})
    second = record("run2", steps={"fit": step(0), "score": step(1)})
    why = _why(compare_runs([first, second]), "score")
    assert why.reasons == ("no step 'score' in run run1",)


def test_a_step_without_fingerprints_says_it_has_no_key() -> None:
    skipped = {**step(0, status="skipped"), "fingerprints": None, "cache_key": None}
    first = record("run1", steps={"fit": step(0)})
    second = record("run2", steps={"fit": skipped})
    why = _why(compare_runs([first, second]), "fit")
    assert why.reasons == ("no cache key in run run2 (step skipped)",)


def test_a_key_that_differs_for_no_recorded_reason_says_the_definition_changed() -> None:
    renamed = {**step(0), "cache_key": "0" * 32}
    first = record("run1", steps={"fit": step(0)})
    why = _why(compare_runs([first, record("run2", steps={"fit": renamed})]), "fit")
    assert why.reasons == ("the step's definition changed",)


def test_every_run_is_explained_against_the_first() -> None:
    runs = [flow_record("run1"), flow_record("run2"), flow_record("run3", factor=4)]
    comparison = compare_runs(runs)
    assert _why(comparison, "transform", 1).same
    assert _why(comparison, "transform", 2).reasons == ("param factor: 3 -> 4",)
    assert _row(comparison.params, "factor") == (3, 3, 4)


def test_runs_of_different_pipelines_state_it_and_compare_what_is_common() -> None:
    other = record("run2", pipeline="other", params={"value": 21}, steps={"double": step(0)})
    comparison = compare_runs([flow_record("run1"), other])
    assert comparison.note == "runs of different pipelines: flow, other"
    assert comparison.params == () and comparison.steps == ()
    assert {row.key for row in comparison.pins} == {"commit", "branch", "dirty", "environment"}


def test_runs_of_different_pipelines_compare_their_common_steps() -> None:
    other = record("run2", pipeline="other", steps={"load": step(0, code="other")})
    comparison = compare_runs([flow_record("run1"), other])
    assert [s.step for s in comparison.steps] == ["load"]
    assert _why(comparison, "load").components == ("code", "data")


def test_runs_of_one_pipeline_have_no_note() -> None:
    assert compare_runs([flow_record("run1"), flow_record("run2")]).note is None


def test_one_run_is_not_a_comparison() -> None:
    with pytest.raises(InvalidComparisonError, match="cannot compare run1: give two runs or more"):
        compare_runs([flow_record("run1")])


def test_a_run_given_twice_is_an_error() -> None:
    with pytest.raises(InvalidComparisonError, match="run run1 given more than once"):
        compare_runs([flow_record("run1"), flow_record("run1")])


def test_the_comparison_is_json() -> None:
    doc = compare_runs([flow_record("run1"), flow_record("run2", factor=4)]).to_dict()
    assert json.loads(json.dumps(doc)) == doc
    assert [run["id"] for run in doc["runs"]] == ["run1", "run2"]
    assert {"key": "factor", "values": [3, 4], "same": False} in doc["params"]
    transform = next(s for s in doc["steps"] if s["step"] == "transform")
    assert transform["statuses"] == ["executed", "executed"]
    assert transform["differences"] == [
        {
            "run": "run2",
            "same": False,
            "components": ["params"],
            "reasons": ["param factor: 3 -> 4"],
        }
    ]
