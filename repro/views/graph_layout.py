"""Where each node and edge of a graph goes, from left to right as
Graphviz's ``rankdir=LR`` would put them, laid out by grandalf's Sugiyama
layout (pure Python, from PyPI: no program to install).

grandalf ranks the nodes and orders each rank; the coordinates are ours:
each rank a column as wide as its widest node, each gap between columns
wide enough for the edge labels in it, each connected part of the graph
below the one before. Nothing depends on hash order or memory addresses
(grandalf is handed lists, never sets), so the same graph always gets the
same coordinates, rounded to a tenth of a pixel.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from math import ceil
from types import ModuleType
from typing import Any, Final

from repro.errors import ReproError
from repro.views.graph_model import Edge, Graph, Node

__all__ = [
    "CYLINDER_CAP",
    "FONT_SIZE",
    "LABEL_FONT_SIZE",
    "LINE_HEIGHT",
    "NOTE_FOLD",
    "Box",
    "GraphDependencyError",
    "GraphLayout",
    "Point",
    "Route",
    "lay_out",
]

FONT_SIZE: Final = 11.0  # of node labels, in pixels
LABEL_FONT_SIZE: Final = 9.0  # of edge labels
LINE_HEIGHT: Final = 1.3  # in font sizes
CYLINDER_CAP: Final = 4.0  # the half-height of a cylinder's top and bottom ellipses
NOTE_FOLD: Final = 8.0  # the folded corner of a note
# No font metrics without a font: a generous average for Helvetica, and a
# full em for the wide characters of Chinese, Japanese and Korean.
_CHAR_WIDTH: Final = 0.6
_WIDE_CHAR_WIDTH: Final = 1.0
_PADDING: Final = (10.0, 6.0)  # around a node's label
_MIN_SIZE: Final = (54.0, 36.0)  # Graphviz's default node size
_NODE_GAP: Final = 14.0  # between the nodes of a rank
_RANK_GAP: Final = 36.0  # between ranks, before the room for edge labels
_LABEL_GAP: Final = 6.0  # on either side of an edge label
_PART_GAP: Final = 18.0  # between the graph's unconnected parts
_EDGE_ROOM: Final = 8.0  # what an edge takes as it crosses a rank
_ARROW: Final = (7.0, 3.5)  # an arrowhead's length and half-width
_OPPOSED: Final = 6.0  # how far apart the edges of a two-node cycle run
_MARGIN: Final = 4.0


class GraphDependencyError(ReproError, ImportError):
    def __init__(self, module: str) -> None:
        self.module = module
        super().__init__(f"drawing a graph needs {module}: pip install 'repro-gitops[ui]'")


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class Box:
    x: float  # of the centre
    y: float
    width: float
    height: float

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height / 2

    def side(self, step: int) -> float:
        """The right side where an edge goes right (``step`` 1), else the left."""
        return self.right if step > 0 else self.left

    def moved(self, dx: float, dy: float) -> Box:
        return Box(_rounded(self.x + dx), _rounded(self.y + dy), self.width, self.height)


@dataclass(frozen=True)
class Route:
    edge: Edge
    # From the tail's side to the base of the arrowhead; each point is
    # reached from the one before by a curve that leaves and arrives level.
    points: tuple[Point, ...]
    arrow: tuple[Point, Point, Point]  # the tip first
    label: Box | None  # where the edge's label goes, if it has one

    def moved(self, dx: float, dy: float) -> Route:
        return Route(
            self.edge,
            tuple(_moved(point, dx, dy) for point in self.points),
            (
                _moved(self.arrow[0], dx, dy),
                _moved(self.arrow[1], dx, dy),
                _moved(self.arrow[2], dx, dy),
            ),
            self.label.moved(dx, dy) if self.label else None,
        )


@dataclass(frozen=True)
class GraphLayout:
    width: float
    height: float
    boxes: tuple[tuple[Node, Box], ...]  # in the graph's order
    routes: tuple[Route, ...]  # in the graph's order


def lay_out(graph: Graph) -> GraphLayout:
    """The graph's coordinates; its parts are stacked in the order of their
    first node, each starting at the left margin."""
    boxes: dict[str, Box] = {}
    routes: dict[Edge, Route] = {}
    top = _MARGIN
    for nodes, edges in _parts(graph):
        part_boxes, part_routes = _lay_out_part(nodes, edges)
        shift = top - _bounds(part_boxes.values(), part_routes)[1]
        part_boxes = {key: box.moved(_MARGIN, shift) for key, box in part_boxes.items()}
        part_routes = [route.moved(_MARGIN, shift) for route in part_routes]
        boxes.update(part_boxes)
        routes.update((route.edge, route) for route in part_routes)
        top = _bounds(part_boxes.values(), part_routes)[3] + _PART_GAP
    _, _, right, bottom = _bounds(boxes.values(), routes.values())
    return GraphLayout(
        width=ceil(right + _MARGIN),
        height=ceil(bottom + _MARGIN),
        boxes=tuple((node, boxes[node.id]) for node in graph.nodes),
        routes=tuple(routes[edge] for edge in graph.edges),
    )


def _text_width(text: str, font_size: float) -> float:
    wide = sum(unicodedata.east_asian_width(char) in "WF" for char in text)
    return font_size * (wide * _WIDE_CHAR_WIDTH + (len(text) - wide) * _CHAR_WIDTH)


def _node_size(node: Node) -> tuple[float, float]:
    """Room for the label and the shape's extra (a cylinder's caps, a note's fold)."""
    lines = node.lines
    width = max(_text_width(line, FONT_SIZE) for line in lines) + 2 * _PADDING[0]
    height = len(lines) * FONT_SIZE * LINE_HEIGHT + 2 * _PADDING[1]
    if node.shape == "cylinder":
        height += 2 * CYLINDER_CAP
    if node.shape == "note":
        width += NOTE_FOLD
    return float(ceil(max(width, _MIN_SIZE[0]))), float(ceil(max(height, _MIN_SIZE[1])))


def _label_size(edge: Edge) -> tuple[float, float]:
    lines = edge.lines
    width = max((_text_width(line, LABEL_FONT_SIZE) for line in lines), default=0.0)
    return float(ceil(width)), float(ceil(len(lines) * LABEL_FONT_SIZE * LINE_HEIGHT))


def _parts(graph: Graph) -> list[tuple[list[Node], list[Edge]]]:
    """The connected parts of the graph, in the order of their first node."""
    part = {node.id: node.id for node in graph.nodes}

    def found(key: str) -> str:
        while part[key] != key:
            key = part[key]
        return key

    for edge in graph.edges:
        part[found(edge.head)] = found(edge.tail)
    grouped: dict[str, tuple[list[Node], list[Edge]]] = {}
    for node in graph.nodes:
        grouped.setdefault(found(node.id), ([], []))[0].append(node)
    for edge in graph.edges:
        grouped[found(edge.tail)][1].append(edge)
    return list(grouped.values())


@dataclass(frozen=True)
class _Ranking:
    """What grandalf decided: each node's rank and place across it, and
    where each edge crosses the ranks between its ends."""

    rank: dict[str, int]
    across: dict[str, float]
    crossings: dict[Edge, dict[int, float]]


def _rank(nodes: list[Node], edges: list[Edge], sizes: dict[str, tuple[float, float]]) -> _Ranking:
    sugiyama, vertices, links = _sugiyama(nodes, edges, sizes)
    across = _separated(sugiyama.layers)
    return _Ranking(
        rank={node.id: sugiyama.grx[vertices[node.id]].rank for node in nodes},
        across={node.id: across[vertices[node.id]] for node in nodes},
        crossings={
            edge: _crossings(sugiyama.ctrls.get(link, {}), sugiyama.grx, across)
            for edge, link in links.items()
        },
    )


def _sugiyama(
    nodes: list[Node], edges: list[Edge], sizes: dict[str, tuple[float, float]]
) -> tuple[Any, dict[str, Any], dict[Edge, Any]]:
    """grandalf's layout of one connected part, drawn, with its vertices by
    node id and its edges by ours. grandalf is handed lists in the graph's
    order (its own Graph would gather the edges in a set)."""
    graphs, layouts = _grandalf()
    vertices = {}
    for node in nodes:
        vertices[node.id] = graphs.Vertex(node.id)
        # grandalf ranks top to bottom: its width is our height.
        vertices[node.id].view = layouts.VertexViewer(w=sizes[node.id][1], h=sizes[node.id][0])
    links = {edge: graphs.Edge(vertices[edge.tail], vertices[edge.head]) for edge in edges}
    sugiyama = layouts.SugiyamaLayout(
        graphs.graph_core(list(vertices.values()), list(links.values()))
    )
    sugiyama.xspace = _NODE_GAP
    sugiyama.dw, sugiyama.dh = _EDGE_ROOM, _EDGE_ROOM  # the size of an edge's stand-ins
    sugiyama.init_all()
    sugiyama.draw()
    return sugiyama, vertices, links


def _grandalf() -> tuple[ModuleType, ModuleType]:
    """grandalf's graphs and layouts, imported only when a graph is drawn."""
    try:
        import grandalf.graphs as graphs
        import grandalf.layouts as layouts
    except ImportError as exc:  # it comes with the `ui` extra
        raise GraphDependencyError("grandalf") from exc
    return graphs, layouts


def _separated(layers: list[list[Any]]) -> dict[Any, float]:
    """Each vertex's place across its rank, pushed apart where grandalf's
    average of four alignments let neighbours overlap (Brandes-Köpf's
    balanced placement can)."""
    placed: dict[Any, float] = {}
    for layer in layers:
        reach = float("-inf")
        ordered = sorted(enumerate(layer), key=lambda item: (item[1].view.xy[0], item[0]))
        for _, vertex in ordered:
            half = vertex.view.w / 2
            placed[vertex] = max(vertex.view.xy[0], reach + _NODE_GAP + half)
            reach = placed[vertex] + half
    return placed


def _crossings(
    ctrl: dict[int, Any], ranks: dict[Any, Any], across: dict[Any, float]
) -> dict[int, float]:
    """Where a long edge's stand-ins sit, by rank (none for a short edge)."""
    return {rank: across[vertex] for rank, vertex in ctrl.items() if ranks[vertex].dummy}


def _lay_out_part(nodes: list[Node], edges: list[Edge]) -> tuple[dict[str, Box], list[Route]]:
    sizes = {node.id: _node_size(node) for node in nodes}
    ranking = _rank(nodes, edges, sizes)
    columns = _columns(ranking.rank, sizes, edges)
    boxes = {
        node.id: Box(
            _rounded(sum(columns[ranking.rank[node.id]]) / 2),
            _rounded(ranking.across[node.id]),
            *sizes[node.id],
        )
        for node in nodes
    }
    opposed = {(edge.tail, edge.head) for edge in edges} & {
        (edge.head, edge.tail) for edge in edges
    }
    routes = [
        _route(edge, ranking, columns, boxes, (edge.head, edge.tail) in opposed) for edge in edges
    ]
    return boxes, routes


def _columns(
    rank: dict[str, int], sizes: dict[str, tuple[float, float]], edges: list[Edge]
) -> list[tuple[float, float]]:
    """Each rank's left and right side."""
    widths = [0.0] * (max(rank.values()) + 1)
    for key, (width, _) in sizes.items():
        widths[rank[key]] = max(widths[rank[key]], width)
    gaps = [_RANK_GAP] * len(widths)
    for edge in edges:
        if edge.label:
            crossed = min(rank[edge.tail], rank[edge.head])
            gaps[crossed] = max(gaps[crossed], _label_size(edge)[0] + 2 * _LABEL_GAP)
    columns, left = [], 0.0
    for width, gap in zip(widths, gaps, strict=True):
        columns.append((left, left + width))
        left += width + gap
    return columns


def _route(
    edge: Edge,
    ranking: _Ranking,
    columns: list[tuple[float, float]],
    boxes: dict[str, Box],
    opposed: bool,
) -> Route:
    """Level through each column the edge crosses, an S across each gap."""
    first, last = ranking.rank[edge.tail], ranking.rank[edge.head]
    step = 1 if last > first else -1
    # The two edges of a two-node cycle would run on one line: each keeps
    # to its left, as does its label.
    shift = -step * _OPPOSED if opposed else 0.0
    levels = {**ranking.crossings[edge], first: boxes[edge.tail].y, last: boxes[edge.head].y}
    gaps = [
        (
            Point(_column_side(columns[rank], step), levels[rank] + shift),
            Point(_column_side(columns[rank + step], -step), levels[rank + step] + shift),
        )
        for rank in range(first, last, step)
    ]
    start = Point(boxes[edge.tail].side(step), levels[first] + shift)
    end = Point(boxes[edge.head].side(-step), levels[last] + shift)
    points = _distinct([start, *(point for gap in gaps for point in gap), end])
    label = _label_box(edge, gaps[0], step) if edge.label else None
    return Route(edge, *_with_arrow(points, step), label)


def _column_side(column: tuple[float, float], step: int) -> float:
    return column[1] if step > 0 else column[0]


def _distinct(points: list[Point]) -> list[Point]:
    """``points`` rounded, without repeats (a node as wide as its column
    ends where the column does)."""
    rounded = [_moved(point, 0.0, 0.0) for point in points]
    return [point for i, point in enumerate(rounded) if i == 0 or point != rounded[i - 1]]


def _label_box(edge: Edge, gap: tuple[Point, Point], step: int) -> Box:
    """The label in the middle of the first gap the edge crosses, on the
    edge's left: above an edge going right, below one going left."""
    width, height = _label_size(edge)
    x = (gap[0].x + gap[1].x) / 2
    y = (gap[0].y + gap[1].y) / 2 - step * (height / 2 + 1)
    return Box(_rounded(x), _rounded(y), width, height)


def _with_arrow(
    points: list[Point], step: int
) -> tuple[tuple[Point, ...], tuple[Point, Point, Point]]:
    """The line stops where the arrowhead starts, which ends on the head's side."""
    tip = points[-1]
    length, half = _ARROW
    base = tip.x - step * length
    line = [point for point in points[:-1] if step * (point.x - base) < 0]
    line.append(Point(base, tip.y))
    arrow = (tip, Point(base, tip.y - half), Point(base, tip.y + half))
    return tuple(line), arrow


def _moved(point: Point, dx: float, dy: float) -> Point:
    return Point(_rounded(point.x + dx), _rounded(point.y + dy))


def _rounded(value: float) -> float:
    return round(value, 1) + 0.0  # + 0.0: never a negative zero


def _bounds(boxes: Iterable[Box], routes: Iterable[Route]) -> tuple[float, float, float, float]:
    """Left, top, right and bottom of all that is drawn."""
    extents = [(box.left, box.top, box.right, box.bottom) for box in boxes]
    extents += [_extent(route) for route in routes]
    if not extents:
        return 0.0, 0.0, 0.0, 0.0
    lefts, tops, rights, bottoms = zip(*extents, strict=True)
    return min(lefts), min(tops), max(rights), max(bottoms)


def _extent(route: Route) -> tuple[float, float, float, float]:
    """Left, top, right and bottom of the route's line, arrowhead and label."""
    points = [*route.points, *route.arrow]
    if route.label:
        points += [
            Point(route.label.left, route.label.top),
            Point(route.label.right, route.label.bottom),
        ]
    xs, ys = [point.x for point in points], [point.y for point in points]
    return min(xs), min(ys), max(xs), max(ys)
