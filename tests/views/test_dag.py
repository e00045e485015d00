"""The run's DAG over the quickstart's retraining run: a node per step and
per data snapshot, edges from upstream steps and from the snapshots each
step read, colours and links that match the page, the same drawing every
time."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from importlib import resources

import pytest
from svg_testing import SVG, read_drawing
from ui_testing import Quickstart

from repro.lineage.records import RunRecord, StepRecord
from repro.lineage.runs import RunIndex
from repro.views.dag import STATUS_COLOURS, dag_graph, dag_svg, step_decision

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def retrain(ui_quickstart: Quickstart) -> RunRecord:
    return RunIndex(ui_quickstart.project.repro_dir).load(ui_quickstart.retrain)


def _graph(svg: str) -> tuple[dict[str, ET.Element], set[tuple[str, str]]]:
    """Nodes by the first line of their label, and edges as label pairs."""
    drawing = read_drawing(svg)
    names = {key: node.lines[0] for key, node in drawing.nodes.items()}
    nodes = {names[key]: node.element for key, node in drawing.nodes.items()}
    return nodes, {(names[edge.tail], names[edge.head]) for edge in drawing.edges}


def _renamed(record: RunRecord, old: str, new: str) -> RunRecord:
    steps = {}
    for name, step in record.steps.items():
        upstream = [new if up == old else up for up in step.upstream]
        steps[new if name == old else name] = step.model_copy(update={"upstream": upstream})
    return record.model_copy(update={"steps": steps})


def test_there_is_a_node_per_step_and_per_data_snapshot(retrain: RunRecord) -> None:
    nodes, _ = _graph(dag_svg(retrain))
    assert set(nodes) == set(retrain.steps) | {"data/housing.csv", "data/drops/"}


def test_edges_follow_the_upstream_steps(retrain: RunRecord) -> None:
    _, edges = _graph(dag_svg(retrain))
    expected = {(up, name) for name, step in retrain.steps.items() for up in step.upstream}
    assert {edge for edge in edges if not edge[0].startswith("data/")} == expected


def test_each_snapshot_points_at_the_steps_that_read_it(retrain: RunRecord) -> None:
    _, edges = _graph(dag_svg(retrain))
    assert {edge for edge in edges if edge[0].startswith("data/")} == {
        ("data/housing.csv", "ingest_data"),
        ("data/drops/", "ingest_drops"),
    }


def test_a_step_shows_its_status_and_duration(retrain: RunRecord) -> None:
    nodes, _ = _graph(dag_svg(retrain))
    lines = [text.text for text in nodes["retrain_model"].iter(f"{SVG}text")]
    assert lines[1] is not None and re.fullmatch(r"executed · [\d.]+ (ms|s)", lines[1])
    assert [text.text for text in nodes["train_model"].iter(f"{SVG}text")][1] == "cached"


def test_a_snapshot_shows_its_files_and_size(retrain: RunRecord) -> None:
    nodes, _ = _graph(dag_svg(retrain))
    lines = [text.text for text in nodes["data/drops/"].iter(f"{SVG}text")]
    assert lines[1] == "2 files · 9.5 KiB"


def test_a_step_is_filled_with_its_status_colour(retrain: RunRecord) -> None:
    nodes, _ = _graph(dag_svg(retrain))
    fills = {name: next(nodes[name].iter(f"{SVG}path")).get("fill") for name in retrain.steps}
    assert fills["retrain_model"] == STATUS_COLOURS["executed"]
    assert fills["train_model"] == STATUS_COLOURS["cached"]


def test_the_status_colours_are_the_badge_colours() -> None:
    css = resources.files("repro.ui").joinpath("static/ui.css").read_text()
    variables = dict(re.findall(r"--([a-z]+): (#[0-9a-f]{6})", css))
    names = {"executed": "ok", "cached": "cached", "failed": "failed", "skipped": "skipped"}
    assert {status: variables[names[status]] for status in STATUS_COLOURS} == STATUS_COLOURS


def test_a_step_links_to_its_section_with_its_decision_as_tooltip(
    retrain: RunRecord, ui_quickstart: Quickstart
) -> None:
    nodes, _ = _graph(dag_svg(retrain))
    anchor = next(nodes["ingest_data"].iter(f"{SVG}a"))
    assert anchor.get("href") == "#step-ingest_data"
    assert (
        anchor.findtext(f"{SVG}title") == f"cached: reused the result of run {ui_quickstart.replay}"
    )


def test_an_executed_step_says_why(retrain: RunRecord) -> None:
    decision = step_decision(retrain.steps["ingest_drops"])
    assert decision == "executed: input 'folder' changed (data data/drops/)"


def test_a_failed_step_says_the_first_line_of_its_error(retrain: RunRecord) -> None:
    failed = retrain.steps["evaluate"].model_copy(
        update={"status": "failed", "error": "ValueError: bad input\n  at line 3"}
    )
    assert step_decision(failed) == "failed: ValueError: bad input"


def test_a_step_without_cache_says_so(retrain: RunRecord) -> None:
    step: StepRecord = retrain.steps["ingest_drops"].model_copy(
        update={"cache": False, "reason": None}
    )
    assert step_decision(step) == "executed: caching is off for this step"


def test_a_hostile_step_name_is_text_in_the_drawing(retrain: RunRecord) -> None:
    svg = dag_svg(_renamed(retrain, "train_model", SCRIPT))
    nodes, edges = _graph(svg)
    assert "<script" not in svg
    assert (SCRIPT, "evaluate") in edges
    href = next(nodes[SCRIPT].iter(f"{SVG}a")).get("href")
    assert href == "#step-%3Cscript%3Ealert%281%29%3C/script%3E"


def test_a_snapshot_says_which_it_is_in_its_tooltip(retrain: RunRecord) -> None:
    nodes, _ = _graph(dag_svg(retrain))
    oid = retrain.inputs["data/drops/"].oid
    assert nodes["data/drops/"].findtext(f"{SVG}title") == f"data snapshot {oid}"
    assert list(nodes["data/drops/"].iter(f"{SVG}a")) == []


def test_the_same_run_gives_the_same_drawing_whatever_the_order_of_its_steps(
    retrain: RunRecord,
) -> None:
    shuffled = retrain.model_copy(update={"steps": dict(reversed(retrain.steps.items()))})
    assert dag_graph(shuffled) == dag_graph(retrain)
    assert dag_svg(shuffled) == dag_svg(retrain)


def test_a_step_named_upstream_of_itself_draws_no_loop(retrain: RunRecord) -> None:
    evaluate = retrain.steps["evaluate"]
    looped = evaluate.model_copy(update={"upstream": [*evaluate.upstream, "evaluate"]})
    record = retrain.model_copy(update={"steps": {**retrain.steps, "evaluate": looped}})
    _, edges = _graph(dag_svg(record))
    assert ("evaluate", "evaluate") not in edges
