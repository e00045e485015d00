"""A graph to draw, as plain values: nodes with their label, shape, colours,
link and tooltip, and edges between them. ``repro.views.dag`` and
``repro.views.lineage_graph`` build one; ``repro.views.svg_graph`` draws it.

Node ids are the builder's own (``s0``, ``n3``), never user text; labels,
tooltips and links may hold anything and are escaped where they are drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Edge", "Graph", "Node", "Shape"]

Shape = Literal["box", "rounded", "cylinder", "note"]
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Node:
    id: str
    label: str  # a line break in it starts a new line of the drawing
    shape: Shape = "box"
    fill: str = "#ffffff"
    stroke: str = "#17202b"
    text: str = "#1d232b"  # the colour of the label
    stroke_width: float = 1.0
    dashed: bool = False
    href: str | None = None
    tooltip: str | None = None

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(_LINE_BREAK.split(self.label))


@dataclass(frozen=True)
class Edge:
    tail: str
    head: str
    label: str = ""

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(_LINE_BREAK.split(self.label)) if self.label else ()


@dataclass(frozen=True)
class Graph:
    """Nodes in the order the builder gives them (the layout starts from
    it, so the same graph always draws the same); at most one edge from a
    node to another, and none from a node to itself (neither graph we draw
    has one: join the labels of parallel edges instead)."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()

    def __post_init__(self) -> None:
        ids = {node.id for node in self.nodes}
        if len(ids) != len(self.nodes):
            raise ValueError("two nodes of the graph have the same id")
        pairs = [(edge.tail, edge.head) for edge in self.edges]
        if len(set(pairs)) != len(pairs):
            raise ValueError("two edges of the graph join the same nodes the same way")
        for tail, head in pairs:
            if tail not in ids or head not in ids:
                raise ValueError(f"the edge {tail} -> {head} names a node the graph lacks")
            if tail == head:
                raise ValueError(f"the edge {tail} -> {head} joins a node to itself")
