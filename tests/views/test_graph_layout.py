"""The layout: ranks from left to right, nodes of a rank apart, room for
edge labels between ranks, unconnected parts one below the other, and
grandalf imported only when a graph is laid out."""

from __future__ import annotations

import subprocess
import sys

import pytest

from repro.views.graph_layout import Box, GraphDependencyError, lay_out
from repro.views.graph_model import Edge, Graph, Node


def _boxes(graph: Graph) -> dict[str, Box]:
    return {node.id: box for node, box in lay_out(graph).boxes}


def _chain(*labels: str) -> Graph:
    nodes = tuple(Node(f"n{i}", f"step {i}") for i in range(len(labels) + 1))
    edges = tuple(Edge(f"n{i}", f"n{i + 1}", label) for i, label in enumerate(labels))
    return Graph(nodes, edges)


def test_ranks_go_from_left_to_right() -> None:
    boxes = _boxes(_chain("", ""))
    assert boxes["n0"].right < boxes["n1"].left < boxes["n1"].right < boxes["n2"].left


def test_a_label_widens_the_gap_it_sits_in() -> None:
    bare, labelled = _boxes(_chain("")), _boxes(_chain("a rather long name of an input"))
    assert labelled["n1"].left - labelled["n0"].right > bare["n1"].left - bare["n0"].right + 100


def test_the_nodes_of_one_rank_are_one_above_the_other() -> None:
    nodes = (Node("a", "source"), Node("b", "left"), Node("c", "right"))
    boxes = _boxes(Graph(nodes, (Edge("a", "b"), Edge("a", "c"))))
    assert boxes["b"].x == boxes["c"].x
    assert boxes["b"].bottom < boxes["c"].top or boxes["c"].bottom < boxes["b"].top


def test_unconnected_parts_are_stacked_in_the_order_of_their_first_node() -> None:
    nodes = (Node("a", "first"), Node("b", "second"), Node("c", "third"), Node("d", "fourth"))
    boxes = _boxes(Graph(nodes, (Edge("c", "a"),)))
    assert boxes["a"].bottom < boxes["b"].top < boxes["b"].bottom < boxes["d"].top
    assert boxes["b"].left == boxes["d"].left == boxes["c"].left


def test_a_node_is_as_wide_as_its_longest_line() -> None:
    short, long = _boxes(Graph((Node("a", "ab\nabc"), Node("b", "ab\n" + "x" * 60)))).values()
    assert long.width > short.width + 200


def test_wide_characters_take_more_room() -> None:
    latin, wide = _boxes(Graph((Node("a", "a" * 30), Node("b", "数" * 30)))).values()
    assert wide.width > latin.width


def test_a_cycle_is_laid_out() -> None:
    nodes = tuple(Node(key, key) for key in "abc")
    edges = (Edge("a", "b"), Edge("b", "c"), Edge("c", "a"))
    layout = lay_out(Graph(nodes, edges))
    assert len({box.x for _, box in layout.boxes}) == 3
    assert [route.edge for route in layout.routes] == list(edges)


def test_a_graph_without_nodes_is_an_empty_drawing() -> None:
    layout = lay_out(Graph(()))
    assert (layout.boxes, layout.routes) == ((), ())


def test_grandalf_is_imported_only_to_lay_a_graph_out() -> None:
    probe = (
        "import sys, repro.cli.main, repro.views.dag, repro.views.lineage_graph, "
        "repro.views.run_detail; print('grandalf' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_without_grandalf_the_error_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "grandalf.layouts", None)
    with pytest.raises(
        GraphDependencyError, match=r"needs grandalf: pip install 'repro-gitops\[ui\]'"
    ):
        lay_out(_chain(""))
