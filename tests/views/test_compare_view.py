"""The comparison page as data: runs side by side with differing rows
marked, ids shortened and linked to their pages, each step's cache key
explained, and the recent runs to pick from when none are given."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_testing import Quickstart

from repro.experiments.compare import InvalidComparisonError
from repro.lineage.runs import AmbiguousRunError, RunIndex, UnknownRunError
from repro.project import Project
from repro.views.compare_view import Cell, CompareRow, CompareView, compare_page, compare_view


def _row(view: CompareView, section: str, key: str) -> CompareRow:
    return {row.key: row for row in view.section(section).rows}[key]


@pytest.fixture
def first_and_retrain(ui_quickstart: Quickstart) -> CompareView:
    return compare_view(ui_quickstart.project, [ui_quickstart.first, ui_quickstart.retrain])


def test_the_runs_head_the_columns_in_the_order_given(
    ui_quickstart: Quickstart, first_and_retrain: CompareView
) -> None:
    assert [run.id for run in first_and_retrain.runs] == [
        ui_quickstart.first,
        ui_quickstart.retrain,
    ]
    assert first_and_retrain.base.id == ui_quickstart.first


def test_the_sections_are_params_metrics_pins_outputs(first_and_retrain: CompareView) -> None:
    names = [section.name for section in first_and_retrain.sections]
    assert names == ["params", "metrics", "pins", "outputs"]


def test_a_metric_that_differs_is_marked(first_and_retrain: CompareView) -> None:
    row = _row(first_and_retrain, "metrics", "check_drift.drifted_columns")
    assert not row.same
    assert [cell.text for cell in row.cells] == ["0", "2"]


def test_equal_params_are_not_marked(first_and_retrain: CompareView) -> None:
    row = _row(first_and_retrain, "params", "n_estimators")
    assert row.same and [cell.text for cell in row.cells] == ["100", "100"]


def test_a_value_a_run_lacks_is_missing_not_blank(first_and_retrain: CompareView) -> None:
    first, retrain = _row(first_and_retrain, "metrics", "evaluate_2.rmse").cells
    assert first == Cell("", missing=True)
    assert not retrain.missing and retrain.text == f"{float(retrain.full):.6g}"


def test_an_output_is_shortened_and_links_to_its_artifact(first_and_retrain: CompareView) -> None:
    cell = _row(first_and_retrain, "outputs", "train_model.output").cells[0]
    assert cell.page == "artifact"
    assert len(cell.full) == 32 and cell.text == cell.full[:12]


def test_a_data_snapshot_links_to_its_tree(first_and_retrain: CompareView) -> None:
    row = _row(first_and_retrain, "pins", "data.data/drops/")
    assert not row.same and {cell.page for cell in row.cells} == {"tree"}


def test_the_commit_is_a_pin(first_and_retrain: CompareView) -> None:
    row = _row(first_and_retrain, "pins", "commit")
    assert not row.same and all(cell.page is None for cell in row.cells)


def test_a_steps_key_difference_names_its_parts_and_reasons(
    first_and_retrain: CompareView,
) -> None:
    step = {step.step: step for step in first_and_retrain.steps}["ingest_drops"]
    [difference] = step.differences
    assert difference.components == ("data",)
    assert difference.reasons == ("input 'folder' changed (data data/drops/)",)


def test_a_step_with_the_same_key_says_so(first_and_retrain: CompareView) -> None:
    step = {step.step: step for step in first_and_retrain.steps}["train_model"]
    assert step.differences[0].same and step.statuses == ("executed", "cached")


def test_runs_of_one_pipeline_carry_no_note(first_and_retrain: CompareView) -> None:
    assert first_and_retrain.note is None


def test_runs_of_different_pipelines_carry_a_note(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    source = RunIndex(ui_quickstart.project.repro_dir)
    index = RunIndex(str(tmp_path / ".repro"))
    index.save(source.load(ui_quickstart.first))
    index.save(source.load(ui_quickstart.retrain).model_copy(update={"pipeline": "nightly"}))
    view = compare_view(Project(str(tmp_path)), [ui_quickstart.first, ui_quickstart.retrain])
    assert view.note == "runs of different pipelines: quickstart, nightly"


def test_unique_prefixes_name_runs(ui_quickstart: Quickstart) -> None:
    prefixes = [ui_quickstart.first[:-1], ui_quickstart.replay[:-1]]
    view = compare_view(ui_quickstart.project, prefixes)
    assert [run.id for run in view.runs] == [ui_quickstart.first, ui_quickstart.replay]


def test_three_runs_compare_against_the_first(ui_quickstart: Quickstart) -> None:
    ids = [ui_quickstart.first, ui_quickstart.replay, ui_quickstart.retrain]
    view = compare_view(ui_quickstart.project, ids)
    assert all(len(step.differences) == 2 for step in view.steps)
    assert all(len(row.cells) == 3 for section in view.sections for row in section.rows)


def test_an_unknown_run_is_an_error(ui_quickstart: Quickstart) -> None:
    with pytest.raises(UnknownRunError, match=r"no run matches 'zzzz'"):
        compare_view(ui_quickstart.project, [ui_quickstart.first, "zzzz"])


def test_an_ambiguous_prefix_is_an_error(ui_quickstart: Quickstart) -> None:
    prefix = ui_quickstart.first[:2]
    with pytest.raises(AmbiguousRunError, match=rf"'{prefix}' matches 3 runs"):
        compare_view(ui_quickstart.project, [prefix, ui_quickstart.first])


def test_one_run_is_an_error(ui_quickstart: Quickstart) -> None:
    with pytest.raises(InvalidComparisonError, match=r"give two runs or more"):
        compare_page(ui_quickstart.project, [ui_quickstart.first])


def test_a_run_given_twice_is_an_error(ui_quickstart: Quickstart) -> None:
    with pytest.raises(InvalidComparisonError, match=r"given more than once"):
        compare_page(ui_quickstart.project, [ui_quickstart.first, ui_quickstart.first])


def test_no_runs_offers_the_recent_ones_to_pick(ui_quickstart: Quickstart) -> None:
    page = compare_page(ui_quickstart.project, [])
    assert page.comparison is None
    expected = [ui_quickstart.retrain, ui_quickstart.replay, ui_quickstart.first]
    assert [row.id for row in page.choices] == expected
