"""The ancestry as a graph: every node linked to its page in the UI,
nothing linked in a report, user text escaped in the drawing, and the
names of two inputs read from one artifact on one edge."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from svg_testing import SVG, read_drawing
from ui_testing import Quickstart

from repro.lineage.records import ArtifactRecord, Fingerprints, RunRecord
from repro.lineage.runs import RunIndex, new_run_id
from repro.project import Project
from repro.views.formats import short_oid
from repro.views.lineage import AncestorStep, Ancestry, ArtifactLineage, Flow, artifact_lineage
from repro.views.lineage_graph import ancestry_graph, ancestry_svg
from repro.views.svg_graph import graph_svg

# No "/": a step name is one folder of a checkout (repro.safepaths).
HTML = "<img src=x onerror=alert(1)>"


def _record(quickstart: Quickstart, run: str) -> RunRecord:
    return RunIndex(quickstart.project.repro_dir).load(run)


def _model_lineage(quickstart: Quickstart) -> ArtifactLineage:
    oid = _record(quickstart, quickstart.first).models[0].version
    return artifact_lineage(quickstart.project, oid)


def _no_links(*args: object, **values: str) -> None:
    return None


def test_every_node_links_to_its_page(ui_quickstart: Quickstart) -> None:
    lineage = _model_lineage(ui_quickstart)
    housing = lineage.ancestry.sources[0].oid

    def link(name: str, query: object = None, **values: str) -> str:
        return f"/{name}/{'/'.join(values.values())}"

    hrefs = {node.href for node in ancestry_graph(lineage, link).nodes}
    assert {f"/tree/{housing}", f"/artifact/{lineage.artifact.oid}"} <= hrefs
    assert f"/run/{ui_quickstart.first}" in hrefs


def test_the_links_reach_the_drawing(ui_quickstart: Quickstart) -> None:
    def link(name: str, query: object = None, **values: str) -> str:
        return f"/{name}/{'/'.join(values.values())}"

    lineage = _model_lineage(ui_quickstart)
    root = read_drawing(ancestry_svg(lineage, link)).root
    hrefs = {anchor.get("href") for anchor in root.iter(f"{SVG}a")}
    assert f"/artifact/{lineage.artifact.oid}" in hrefs


def test_the_graph_of_a_report_links_nowhere(ui_quickstart: Quickstart) -> None:
    lineage = _model_lineage(ui_quickstart)
    assert {node.href for node in ancestry_graph(lineage, _no_links).nodes} == {None}
    assert "<a " not in ancestry_svg(lineage, _no_links)


def test_each_node_has_its_label_as_tooltip(ui_quickstart: Quickstart) -> None:
    for node in ancestry_graph(_model_lineage(ui_quickstart), _no_links).nodes:
        assert node.tooltip == " · ".join(node.lines)


def test_snapshots_steps_and_artifacts_have_their_shapes(ui_quickstart: Quickstart) -> None:
    lineage = _model_lineage(ui_quickstart)
    nodes = {node.lines[0]: node for node in ancestry_graph(lineage, _no_links).nodes}
    assert nodes["data/housing.csv"].shape == "cylinder"
    assert nodes["train_model"].shape == "rounded"
    (marked,) = [node for node in nodes.values() if node.stroke_width == 2.0]
    assert marked.shape == "note" and short_oid(lineage.artifact.oid) in marked.label


def _one_step(
    quickstart: Quickstart, inputs: tuple[Flow, ...], outputs: tuple[Flow, ...]
) -> ArtifactLineage:
    """The model's lineage with its ancestry replaced by one step."""
    lineage = _model_lineage(quickstart)
    step = AncestorStep("r1", "join", inputs, outputs)
    ancestry = Ancestry((lineage.artifact,), (step,), lineage.ancestry.sources[:1], ())
    return replace(lineage, ancestry=ancestry)


def test_two_inputs_read_from_one_snapshot_are_one_edge_with_both_names(
    ui_quickstart: Quickstart,
) -> None:
    lineage = _model_lineage(ui_quickstart)
    source, artifact = lineage.ancestry.sources[0].oid, lineage.artifact.oid
    reads = (Flow("left", source), Flow("right", source))
    graph = ancestry_graph(_one_step(ui_quickstart, reads, (Flow("output", artifact),)), _no_links)
    assert [edge.label for edge in graph.edges] == ["left\nright", "output"]
    (read, _) = read_drawing(graph_svg(graph)).edges
    assert read.lines == ["left", "right"]


def test_a_step_that_gives_back_its_input_draws_both_edges(ui_quickstart: Quickstart) -> None:
    artifact = _model_lineage(ui_quickstart).artifact.oid
    lineage = _one_step(ui_quickstart, (Flow("x", artifact),), (Flow("same", artifact),))
    drawing = read_drawing(ancestry_svg(lineage, _no_links))
    assert len(drawing.edges) == 2
    for edge in drawing.edges:
        assert drawing.nodes[edge.tail].box.near_side(edge.start)
        assert drawing.nodes[edge.head].box.near_side(edge.tip)


def test_the_drawing_is_an_svg_element(ui_quickstart: Quickstart) -> None:
    assert ancestry_svg(_model_lineage(ui_quickstart), _no_links).startswith("<svg")


def _with_html_step(quickstart: Quickstart, tmp_path: Path, output: str) -> Project:
    """A copy of the quickstart with a run whose extra step, argument and
    output type are named with HTML."""
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    record = _record(quickstart, quickstart.retrain)
    base = record.steps["train_model"]
    assert base.fingerprints is not None
    artifact = ArtifactRecord(
        oid=output, kind="blob", materializer="json", version="1", type=HTML, size=3
    )
    fingerprints = Fingerprints.model_validate(
        base.fingerprints.model_dump() | {"inputs": {HTML: "e" * 32}}
    )
    step = base.model_copy(
        update={
            "position": 99,
            "status": "executed",
            "cached_from": None,
            "outputs": {"output": artifact},
            "fingerprints": fingerprints,
        }
    )
    steps = {**record.steps, HTML: step}
    copy = record.model_copy(update={"id": new_run_id(), "steps": steps, "models": []})
    RunIndex(str(root / ".repro")).save(copy)
    return Project(str(root))


def test_html_in_step_names_and_types_is_text_in_the_drawing(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project = _with_html_step(ui_quickstart, tmp_path, "d" * 32)
    svg = ancestry_svg(artifact_lineage(project, "d" * 32), _no_links)
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert "<img" not in svg
    labels = [node.lines[0] for node in read_drawing(svg).nodes.values()]
    assert HTML in labels
