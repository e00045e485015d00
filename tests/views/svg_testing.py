"""Reading back what ``repro.views.svg_graph`` draws (each node's box and
lines, each edge's ends), and the graphs the drawing tests share."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from repro.views.graph_model import Edge, Graph, Node

__all__ = [
    "DRAWN_TAGS",
    "SVG",
    "Drawing",
    "DrawnEdge",
    "DrawnNode",
    "busy_graph",
    "read_drawing",
    "sample_graph",
]

SVG = "{http://www.w3.org/2000/svg}"
# Every element a drawing may hold: anything else was injected.
DRAWN_TAGS = frozenset(
    f"{SVG}{tag}" for tag in ("svg", "g", "a", "title", "path", "polygon", "text")
)
_PAIR = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def near_side(self, point: Point, tolerance: float = 1.0) -> bool:
        """Whether ``point`` is on the left or right side of the box."""
        x, y = point
        on_a_side = min(abs(x - self.left), abs(x - self.right)) <= tolerance
        return on_a_side and self.top <= y <= self.bottom

    def holds(self, point: Point) -> bool:
        return self.left < point[0] < self.right and self.top < point[1] < self.bottom

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


@dataclass(frozen=True)
class DrawnNode:
    id: str
    lines: list[str]
    box: Box
    element: ET.Element


@dataclass(frozen=True)
class DrawnEdge:
    tail: str
    head: str
    start: Point  # where the line leaves the tail
    tip: Point  # where the arrowhead touches the head
    lines: list[str]  # of its label
    element: ET.Element


@dataclass(frozen=True)
class Drawing:
    root: ET.Element
    width: float
    height: float
    nodes: dict[str, DrawnNode]  # by node id
    edges: list[DrawnEdge]

    def by_label(self) -> dict[str, DrawnNode]:
        """The nodes by the first line of their label."""
        return {node.lines[0]: node for node in self.nodes.values()}


def read_drawing(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    _, _, width, height = (float(value) for value in (root.get("viewBox") or "").split())
    nodes = [_node(group) for group in root.iter(f"{SVG}g") if group.get("class") == "node"]
    edges = [_edge(group) for group in root.iter(f"{SVG}g") if group.get("class") == "edge"]
    return Drawing(root, width, height, {node.id: node for node in nodes}, edges)


def _node(group: ET.Element) -> DrawnNode:
    shape = next(path for path in group.iter(f"{SVG}path") if path.get("class") == "shape")
    points = _pairs(shape.get("d") or "")
    xs, ys = [x for x, _ in points], [y for _, y in points]
    box = Box(min(xs), min(ys), max(xs), max(ys))
    return DrawnNode(group.get("data-node") or "", _texts(group), box, group)


def _edge(group: ET.Element) -> DrawnEdge:
    line = _pairs(_child(group, "path").get("d") or "")
    arrow = _pairs(_child(group, "polygon").get("points") or "")
    tail, head = group.get("data-tail") or "", group.get("data-head") or ""
    return DrawnEdge(tail, head, line[0], arrow[0], _texts(group), group)


def _child(group: ET.Element, tag: str) -> ET.Element:
    found = group.find(f"{SVG}{tag}")
    assert found is not None, f"no <{tag}> in the edge"
    return found


def _pairs(text: str) -> list[Point]:
    return [(float(x), float(y)) for x, y in _PAIR.findall(text)]


def _texts(element: ET.Element) -> list[str]:
    return [text.text or "" for text in element.iter(f"{SVG}text")]


def sample_graph() -> Graph:
    """Every shape and look, a link, tooltips, labels of one and two lines,
    a long edge, a two-node cycle and a node on its own."""
    nodes = (
        Node("d", "data/housing.csv\n1 file · 3.0 KiB", "cylinder", fill="#f4f6f9"),
        Node("a", "ingest\nexecuted · 3 ms", "rounded", fill="#1f7a3e", text="#ffffff"),
        Node("b", "train", "rounded", href="#step-train", tooltip="cached: reused run x"),
        Node("c", "evaluate", "box", stroke_width=0.6),
        Node("m", "model", "note", stroke_width=2.0),
        Node("u", "0123456789ab\n(no local record)", "note", dashed=True),
    )
    edges = (
        Edge("d", "a", "path"),
        Edge("a", "b"),
        Edge("b", "c", "model"),
        Edge("a", "c", "features\nlabels"),
        Edge("c", "m"),
        Edge("m", "c", "back"),
    )
    return Graph(nodes, edges)


def busy_graph(seed: int = 7, size: int = 40) -> Graph:
    """A fixed DAG of ``size`` nodes in a few unconnected parts, edges long
    and short, some labelled."""
    chosen = random.Random(seed)
    nodes = tuple(Node(f"n{i}", f"step_{i}\n{'x' * chosen.randrange(1, 20)}") for i in range(size))
    pairs = sorted(
        {(i, j) for i in range(size) for j in range(i + 1, size) if chosen.random() < 2 / size}
    )
    labels = ("", "", "x", "features")
    edges = tuple(Edge(f"n{i}", f"n{j}", chosen.choice(labels)) for i, j in pairs)
    return Graph(nodes, edges)
