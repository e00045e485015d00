"""A graph (``repro.views.graph_model``) drawn as an inline ``<svg>``
element for a page or a report: no XML prolog, no doctype, no script.

Every text of the graph (labels, tooltips, links) reaches the markup through
:func:`_text` or :func:`_attribute`, which escape it for XML and replace
the characters XML cannot hold, so a step named ``<script>`` is text in
the drawing and the drawing stays well-formed. Links go through
:func:`safe_href` as well: percent-encoded, ":" included, so that no link
names a scheme (``javascript:``) and no quote gets through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise
from typing import Final
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from repro.views.graph_layout import (
    CYLINDER_CAP,
    FONT_SIZE,
    LABEL_FONT_SIZE,
    LINE_HEIGHT,
    NOTE_FOLD,
    Box,
    Point,
    Route,
    lay_out,
)
from repro.views.graph_model import Graph, Node

__all__ = ["graph_svg", "safe_href"]

_FONT: Final = "Helvetica,Arial,sans-serif"
_EDGE_COLOUR: Final = "#5f6b7a"
_LABEL_COLOUR: Final = "#1d232b"
_CORNER: Final = 6.0  # the radius of a rounded box's corners
_KAPPA: Final = 0.5523  # a quarter ellipse as one cubic curve: its control points' reach
# What XML 1.0 cannot hold (and DEL): shown as U+FFFD.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# ":" is left out so that no link reads as a scheme; "%" kept so that a
# path quoted once (repro.ui.routes) is not quoted twice.
_URL_SAFE: Final = "/#?=&%-._~"


def graph_svg(graph: Graph) -> str:
    """The graph drawn left to right, edges under nodes."""
    layout = lay_out(graph)
    width, height = _number(layout.width), _number(layout.height)
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{_FONT}" font-size="{_number(FONT_SIZE)}">'
    )
    edges = [_edge(route) for route in layout.routes]
    nodes = [_node(node, box) for node, box in layout.boxes]
    return "\n".join([opening, *edges, *nodes, "</svg>"])


def safe_href(href: str) -> str:
    """``href`` (a path, a query, a fragment) percent-encoded but for a few
    characters, none of which lets it leave its attribute or name a scheme."""
    return quote(_xml_safe(href), safe=_URL_SAFE)


def _node(node: Node, box: Box) -> str:
    inner = []
    if node.tooltip:
        inner.append(f"<title>{_text(node.tooltip)}</title>")
    inner += _shape(node, box)
    inner += _lines(node.lines, box, FONT_SIZE, node.text)
    if node.href:
        inner = [f"<a href={_attribute(safe_href(node.href))}>", *inner, "</a>"]
    return "\n".join([f'<g class="node" data-node={_attribute(node.id)}>', *inner, "</g>"])


def _shape(node: Node, box: Box) -> list[str]:
    """The outline, filled, then what a shape draws on top (a cylinder's rim,
    a note's fold)."""
    paint = f'stroke={_attribute(node.stroke)} stroke-width="{_number(node.stroke_width)}"'
    if node.dashed:
        paint += ' stroke-dasharray="5,2"'
    outline, *details = _outlines(node, box)
    drawn = [f'<path class="shape" d="{outline}" fill={_attribute(node.fill)} {paint}/>']
    return drawn + [f'<path d="{detail}" fill="none" {paint}/>' for detail in details]


def _outlines(node: Node, box: Box) -> list[str]:
    if node.shape == "rounded":
        return [_rounded_box(box)]
    if node.shape == "cylinder":
        return _cylinder(box)
    if node.shape == "note":
        return _note(box)
    return [
        _path(
            [
                (box.left, box.top),
                (box.right, box.top),
                (box.right, box.bottom),
                (box.left, box.bottom),
            ]
        )
    ]


def _rounded_box(box: Box) -> str:
    r = _CORNER
    reach = r * (1 - _KAPPA)
    left, top, right, bottom = box.left, box.top, box.right, box.bottom
    return (
        f"M{_xy(left + r, top)} L{_xy(right - r, top)} "
        f"C{_xy(right - reach, top)} {_xy(right, top + reach)} {_xy(right, top + r)} "
        f"L{_xy(right, bottom - r)} "
        f"C{_xy(right, bottom - reach)} {_xy(right - reach, bottom)} {_xy(right - r, bottom)} "
        f"L{_xy(left + r, bottom)} "
        f"C{_xy(left + reach, bottom)} {_xy(left, bottom - reach)} {_xy(left, bottom - r)} "
        f"L{_xy(left, top + r)} "
        f"C{_xy(left, top + reach)} {_xy(left + reach, top)} {_xy(left + r, top)} Z"
    )


def _cylinder(box: Box) -> list[str]:
    """The body with its top and bottom half-ellipses, and the front rim of the top."""
    cap = CYLINDER_CAP
    top, bottom = box.top + cap, box.bottom - cap
    body = (
        f"M{_xy(box.left, top)} {_half_ellipse(box, top, -cap)} "
        f"L{_xy(box.right, bottom)} {_half_ellipse(box, bottom, cap, leftwards=True)} Z"
    )
    return [body, f"M{_xy(box.left, top)} {_half_ellipse(box, top, cap)}"]


def _half_ellipse(box: Box, level: float, bulge: float, *, leftwards: bool = False) -> str:
    """Two quarter curves from one side of ``box`` to the other at ``level``,
    bulging by ``bulge`` (up where negative)."""
    rx, middle = box.width / 2, box.x
    start, end = (box.right, box.left) if leftwards else (box.left, box.right)
    way = -1 if leftwards else 1
    return (
        f"C{_xy(start, level + _KAPPA * bulge)} {_xy(middle - way * _KAPPA * rx, level + bulge)} "
        f"{_xy(middle, level + bulge)} "
        f"C{_xy(middle + way * _KAPPA * rx, level + bulge)} {_xy(end, level + _KAPPA * bulge)} "
        f"{_xy(end, level)}"
    )


def _note(box: Box) -> list[str]:
    fold = NOTE_FOLD
    corner = [
        (box.right - fold, box.top),
        (box.right - fold, box.top + fold),
        (box.right, box.top + fold),
    ]
    outline = _path(
        [(box.left, box.top), corner[0], corner[2], (box.right, box.bottom), (box.left, box.bottom)]
    )
    return [outline, _path(corner, closed=False)]


def _path(points: list[tuple[float, float]], *, closed: bool = True) -> str:
    (x, y), *rest = points
    drawn = [f"M{_xy(x, y)}", *(f"L{_xy(x, y)}" for x, y in rest)]
    return " ".join([*drawn, "Z"] if closed else drawn)


def _lines(lines: Iterable[str], box: Box, font_size: float, colour: str) -> list[str]:
    """One ``<text>`` a line, centred in ``box``."""
    lines = list(lines)
    step = font_size * LINE_HEIGHT
    first = box.y - step * (len(lines) - 1) / 2 + 0.35 * font_size  # 0.35: baseline to mid-height
    size = "" if font_size == FONT_SIZE else f' font-size="{_number(font_size)}"'
    return [
        f'<text x="{_number(box.x)}" y="{_number(first + i * step)}" text-anchor="middle"'
        f"{size} fill={_attribute(colour)}>{_text(line)}</text>"
        for i, line in enumerate(lines)
    ]


def _edge(route: Route) -> str:
    colour = _attribute(_EDGE_COLOUR)
    tip, left, right = route.arrow
    drawn = [
        f'<g class="edge" data-tail={_attribute(route.edge.tail)} '
        f"data-head={_attribute(route.edge.head)}>",
        f'<path d="{_curve(route.points)}" fill="none" stroke={colour}/>',
        f'<polygon points="{_xy(tip.x, tip.y)} {_xy(left.x, left.y)} {_xy(right.x, right.y)}" '
        f"fill={colour} stroke={colour}/>",
    ]
    if route.label:
        drawn += _lines(route.edge.lines, route.label, LABEL_FONT_SIZE, _LABEL_COLOUR)
    return "\n".join([*drawn, "</g>"])


def _curve(points: tuple[Point, ...]) -> str:
    """Through ``points``, each reached level: a line where it is, else an S."""
    drawn = [f"M{_xy(points[0].x, points[0].y)}"]
    for start, end in pairwise(points):
        if start.y == end.y:
            drawn.append(f"L{_xy(end.x, end.y)}")
        else:
            middle = (start.x + end.x) / 2
            drawn.append(f"C{_xy(middle, start.y)} {_xy(middle, end.y)} {_xy(end.x, end.y)}")
    return " ".join(drawn)


def _text(text: str) -> str:
    return escape(_xml_safe(text))


def _attribute(text: str) -> str:
    """``text`` as a quoted attribute value, quotes included."""
    return quoteattr(_xml_safe(text))


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _xy(x: float, y: float) -> str:
    return f"{_number(x)},{_number(y)}"


def _number(value: float) -> str:
    return f"{round(value, 1) + 0.0:.1f}".removesuffix(".0")
