"""The drawing can be inlined in a page as is: user text in labels,
tooltips and links comes out as text, never as markup; the same graph
gives the same bytes on every machine; every node and edge is where the
layout says. REPRO_UPDATE_GOLDEN=1 rewrites the golden drawing (then
review its diff)."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from svg_testing import DRAWN_TAGS, SVG, busy_graph, read_drawing, sample_graph

from repro.views.graph_model import Edge, Graph, Node
from repro.views.svg_graph import graph_svg, safe_href

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "graph.svg"
HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(1)> \"\\l \\N \\G & &amp; &#60; 'x'"


def _one_node(**looks: str) -> ET.Element:
    return ET.fromstring(graph_svg(Graph((Node("n0", **looks),))))


def _texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def _anchor(root: ET.Element) -> ET.Element:
    return next(root.iter(f"{SVG}a"))


def test_a_label_shows_hostile_text_as_written() -> None:
    assert _texts(_one_node(label=HOSTILE)) == [HOSTILE]


def test_a_label_keeps_script_out_of_the_markup() -> None:
    svg = graph_svg(Graph((Node("n0", HOSTILE),), ()))
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_an_edge_label_shows_hostile_text_as_written() -> None:
    graph = Graph((Node("a", "a"), Node("b", "b")), (Edge("a", "b", HOSTILE),))
    (edge,) = read_drawing(graph_svg(graph)).edges
    assert edge.lines == [HOSTILE]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_line_break_in_a_label_stays_one(newline: str) -> None:
    assert _texts(_one_node(label=f"first{newline}second")) == ["first", "second"]


def test_a_tooltip_shows_hostile_text_as_written() -> None:
    root = _one_node(label="x", tooltip=HOSTILE)
    assert root.findtext(f".//{SVG}title") == HOSTILE


def test_a_linked_node_carries_its_tooltip_inside_the_link() -> None:
    anchor = _anchor(_one_node(label="x", tooltip="why", href="#step-x"))
    assert anchor.findtext(f"{SVG}title") == "why"


def test_a_link_cannot_leave_its_attribute() -> None:
    anchor = _anchor(_one_node(label="x", href='#step-a" onmouseover="alert(1)'))
    assert anchor.get("href") == "#step-a%22%20onmouseover=%22alert%281%29"
    assert anchor.get("onmouseover") is None


def test_a_link_never_names_a_scheme() -> None:
    anchor = _anchor(_one_node(label="x", href="javascript:alert(1)"))
    assert anchor.get("href") == "javascript%3Aalert%281%29"


def test_a_link_keeps_its_query() -> None:
    svg = graph_svg(Graph((Node("n0", "x", href="/compare?run=a&run=b"),)))
    assert _anchor(ET.fromstring(svg)).get("href") == "/compare?run=a&run=b"
    assert 'href="/compare?run=a&amp;run=b"' in svg


def test_a_path_quoted_once_is_not_quoted_twice() -> None:
    assert safe_href("/models/my%20model") == "/models/my%20model"


def test_a_node_without_a_link_has_no_anchor() -> None:
    assert list(_one_node(label="x").iter(f"{SVG}a")) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x00b\x1bc", "a\ufffdb\ufffdc"),
        ("del\x7f", "del\ufffd"),
        ("\udcff\ufffe", "\ufffd\ufffd"),
    ],
)
def test_characters_xml_cannot_hold_do_not_reach_the_svg(text: str, shown: str) -> None:
    svg = graph_svg(Graph((Node("n0", text, tooltip=text, href=text),)))
    svg.encode("utf-8")  # a lone surrogate would fail here
    root = ET.fromstring(svg)
    assert _texts(root) == [shown]
    assert root.findtext(f".//{SVG}title") == shown


def test_hostile_text_everywhere_injects_no_element_or_attribute() -> None:
    nodes = (Node("a", HOSTILE, tooltip=HOSTILE, href=HOSTILE), Node("b", HOSTILE))
    root = ET.fromstring(graph_svg(Graph(nodes, (Edge("a", "b", HOSTILE),))))
    assert {element.tag for element in root.iter()} <= DRAWN_TAGS
    assert not [name for e in root.iter() for name in e.attrib if name.startswith("on")]


def test_the_svg_is_the_element_alone() -> None:
    svg = graph_svg(sample_graph())
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<!--" not in svg


def test_the_view_box_is_the_size() -> None:
    root = ET.fromstring(graph_svg(sample_graph()))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"


def test_each_shape_is_drawn_with_its_looks() -> None:
    nodes = read_drawing(graph_svg(sample_graph())).nodes
    shapes = {key: next(node.element.iter(f"{SVG}path")) for key, node in nodes.items()}
    assert shapes["a"].get("fill") == "#1f7a3e"
    assert [text.get("fill") for text in nodes["a"].element.iter(f"{SVG}text")] == ["#ffffff"] * 2
    assert shapes["m"].get("stroke-width") == "2"
    assert shapes["u"].get("stroke-dasharray") is not None
    assert shapes["c"].get("stroke-dasharray") is None
    # The cylinder's rim and the note's fold are drawn over the outline.
    assert [len(list(nodes[key].element.iter(f"{SVG}path"))) for key in "dacmu"] == [2, 1, 1, 2, 2]


def test_each_edge_runs_from_its_tail_to_its_head() -> None:
    drawing = read_drawing(graph_svg(sample_graph()))
    assert {(edge.tail, edge.head) for edge in drawing.edges} == {
        ("d", "a"),
        ("a", "b"),
        ("b", "c"),
        ("a", "c"),
        ("c", "m"),
        ("m", "c"),
    }
    for edge in drawing.edges:
        assert drawing.nodes[edge.tail].box.near_side(edge.start), edge
        assert drawing.nodes[edge.head].box.near_side(edge.tip), edge


def test_an_edge_label_is_drawn_with_its_edge() -> None:
    edges = {(edge.tail, edge.head): edge for edge in read_drawing(graph_svg(sample_graph())).edges}
    assert edges["a", "c"].lines == ["features", "labels"]
    assert edges["a", "b"].lines == []


def test_the_two_edges_of_a_cycle_are_drawn_apart() -> None:
    edges = {(edge.tail, edge.head): edge for edge in read_drawing(graph_svg(sample_graph())).edges}
    assert edges["c", "m"].start[1] != edges["m", "c"].tip[1]


def test_the_same_graph_draws_the_same_bytes() -> None:
    assert graph_svg(busy_graph()) == graph_svg(busy_graph())


def test_the_drawing_is_the_same_whatever_the_hash_seed() -> None:
    probe = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); from svg_testing import busy_graph; "
        "from repro.views.svg_graph import graph_svg; "
        "sys.stdout.buffer.write(graph_svg(busy_graph()).encode())"
    )
    drawn = {
        subprocess.run(
            [sys.executable, "-c", probe],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
        ).stdout
        for seed in ("0", "1", "4242")
    }
    assert drawn == {graph_svg(busy_graph()).encode()}


def test_the_sample_matches_the_golden_drawing() -> None:
    svg = graph_svg(sample_graph())
    if os.environ.get("REPRO_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(svg, encoding="utf-8")
    assert svg == GOLDEN.read_text(encoding="utf-8")


_LABELS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)


@st.composite
def _graphs(draw: st.DrawFn) -> Graph:
    """A DAG of up to 14 nodes (in a random order), some of its edges labelled."""
    size = draw(st.integers(1, 14))
    labels = draw(st.lists(_LABELS, min_size=size, max_size=size))
    pairs = st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)).filter(
        lambda p: p[0] < p[1]
    )
    chosen = draw(st.lists(pairs, unique=True, max_size=3 * size))
    shapes = st.sampled_from(["box", "rounded", "cylinder", "note"])
    nodes = tuple(Node(f"n{i}", labels[i] or "·", draw(shapes)) for i in range(size))
    edges = tuple(Edge(f"n{i}", f"n{j}", draw(_LABELS)) for i, j in chosen)
    return Graph(draw(st.permutations(nodes)), edges)


@settings(max_examples=60, deadline=None)
@given(_graphs())
def test_any_dag_draws_well_formed_with_nodes_apart_and_inside(graph: Graph) -> None:
    svg = graph_svg(graph)
    drawing = read_drawing(svg)
    boxes = [node.box for node in drawing.nodes.values()]
    assert len(boxes) == len(graph.nodes)
    for box in boxes:
        assert box.left >= 0 and box.right <= drawing.width
        assert box.top >= 0 and box.bottom <= drawing.height
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
    for edge in drawing.edges:
        assert drawing.nodes[edge.tail].box.near_side(edge.start)
        assert drawing.nodes[edge.head].box.near_side(edge.tip)
    assert graph_svg(graph) == svg


@settings(max_examples=40, deadline=None)
@given(_graphs())
def test_no_edge_label_is_written_over_a_node(graph: Graph) -> None:
    drawing = read_drawing(graph_svg(graph))
    anchors = [
        (float(text.get("x") or 0), float(text.get("y") or 0))
        for edge in drawing.edges
        for text in edge.element.iter(f"{SVG}text")
    ]
    boxes = [node.box for node in drawing.nodes.values()]
    assert not [(point, box) for point in anchors for box in boxes if box.holds(point)]
