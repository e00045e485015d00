"""A graph to draw refuses what no drawing could show: two nodes under one
id, two edges between the same nodes, an edge to a node it lacks or from
a node to itself."""

from __future__ import annotations

import pytest

from repro.views.graph_model import Edge, Graph, Node


def test_a_label_is_split_into_lines_at_every_kind_of_line_break() -> None:
    assert Node("n", "a\nb\r\nc\rd").lines == ("a", "b", "c", "d")


def test_an_edge_without_a_label_has_no_lines() -> None:
    assert Edge("a", "b").lines == ()


def test_two_nodes_cannot_share_an_id() -> None:
    with pytest.raises(ValueError, match="same id"):
        Graph((Node("a", "one"), Node("a", "two")))


def test_two_edges_cannot_join_the_same_nodes_the_same_way() -> None:
    with pytest.raises(ValueError, match="join the same nodes"):
        Graph((Node("a", "a"), Node("b", "b")), (Edge("a", "b", "x"), Edge("a", "b", "y")))


def test_two_edges_may_join_two_nodes_both_ways() -> None:
    graph = Graph((Node("a", "a"), Node("b", "b")), (Edge("a", "b"), Edge("b", "a")))
    assert len(graph.edges) == 2


def test_an_edge_cannot_name_a_missing_node() -> None:
    with pytest.raises(ValueError, match="a -> z names a node the graph lacks"):
        Graph((Node("a", "a"),), (Edge("a", "z"),))


def test_an_edge_cannot_join_a_node_to_itself() -> None:
    with pytest.raises(ValueError, match="joins a node to itself"):
        Graph((Node("a", "a"),), (Edge("a", "a"),))
