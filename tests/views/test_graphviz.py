"""Graphviz's SVG can be inlined in a page as is: user text in labels,
tooltips and links comes out as text, never as markup or an escape."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from repro.views.graphviz import (
    GraphvizFailedError,
    GraphvizMissingError,
    dot_quote,
    dot_tooltip,
    dot_url,
    render_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
HOSTILE = '<script>alert(1)</script> <img src=x onerror=alert(1)> "\\l \\N \\G & &amp; &#60;'


def _node(**attributes: str) -> ET.Element:
    listed = " ".join(f"{name}={value}" for name, value in attributes.items())
    svg = render_svg(f"digraph G {{ n0 [{listed}]; }}")
    return ET.fromstring(svg)


def _texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_a_label_shows_hostile_text_as_written() -> None:
    assert _texts(_node(label=dot_quote(HOSTILE))) == [HOSTILE]


def test_a_label_keeps_script_out_of_the_markup() -> None:
    svg = render_svg(f"digraph G {{ n0 [label={dot_quote(HOSTILE)}]; }}")
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_a_line_break_in_a_label_stays_one() -> None:
    assert _texts(_node(label=dot_quote("first\nsecond"))) == ["first", "second"]


def test_a_tooltip_shows_hostile_text_as_written() -> None:
    anchor = next(_node(label='"x"', tooltip=dot_tooltip(HOSTILE)).iter(f"{SVG}a"))
    assert anchor.get(f"{XLINK}title") == HOSTILE


def test_a_link_cannot_leave_its_attribute() -> None:
    root = _node(label='"x"', URL=dot_url('#step-a" onmouseover="alert(1)'))
    anchor = next(root.iter(f"{SVG}a"))
    assert anchor.get(f"{XLINK}href") == "#step-a%22%20onmouseover=%22alert%281%29"
    assert anchor.get("onmouseover") is None


def test_a_link_keeps_its_query() -> None:
    anchor = next(_node(label='"x"', URL=dot_url("/compare?run=a&run=b")).iter(f"{SVG}a"))
    assert anchor.get(f"{XLINK}href") == "/compare?run=a&run=b"


def test_a_label_cannot_become_an_html_label() -> None:
    assert dot_quote("<b>bold</b>") == '"<b>bold</b>"'
    assert _texts(_node(label=dot_quote("<b>bold</b>"))) == ["<b>bold</b>"]


def test_control_characters_do_not_reach_the_svg() -> None:
    assert _texts(_node(label=dot_quote("a\x00b\x1bc"))) == ["a\ufffdb\ufffdc"]


def test_the_svg_is_the_element_alone() -> None:
    svg = render_svg("digraph G { a -> b; }")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<!--" not in svg


def test_the_same_graph_draws_the_same_svg() -> None:
    source = "digraph G { a -> b; b -> c; a -> c; }"
    assert render_svg(source) == render_svg(source)


def test_a_graph_dot_refuses_is_an_error_with_its_reason() -> None:
    with pytest.raises(GraphvizFailedError, match=r"could not draw the graph: .*syntax error"):
        render_svg("digraph G { a -> ; ")


def test_without_dot_the_error_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizMissingError, match="apt install graphviz"):
        render_svg("digraph G { a; }")
