"""Graphs drawn by Graphviz: DOT text in, an inline ``<svg>`` element out.

User text (step names, dataset URIs, reasons) reaches DOT only through
:func:`dot_quote`, as a double-quoted string: never an HTML-like label,
never one of DOT's backslash escapes (``\\N``, ``\\l``), so Graphviz shows
it as written and escapes it for XML itself (a tooltip through
:func:`dot_tooltip`, which Graphviz reads differently). ``URL`` is the exception:
Graphviz 2.43 copies it into the SVG unescaped, so links go through
:func:`dot_url`, which leaves nothing in them that XML or DOT would read.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from urllib.parse import quote

from repro.errors import ReproError

__all__ = [
    "DOT_TIMEOUT",
    "GraphvizFailedError",
    "GraphvizMissingError",
    "dot_quote",
    "dot_tooltip",
    "dot_url",
    "render_svg",
]

DOT_TIMEOUT = 30.0  # seconds; a run's DAG takes milliseconds
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)
# Graphviz escapes every comment's text ("-" as &#45;), so the first "-->"
# after "<!--" is that comment's end.
_URL_SAFE = "/#?=-._~:"


class GraphvizMissingError(ReproError, FileNotFoundError):
    def __init__(self) -> None:
        super().__init__(
            "drawing the DAG needs Graphviz's dot: apt install graphviz (or brew install graphviz)"
        )


class GraphvizFailedError(ReproError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Graphviz's dot could not draw the graph: {reason}")


def dot_quote(text: str) -> str:
    """``text`` as a DOT double-quoted string that a ``label`` shows
    literally; a line break in ``text`` stays one. (Ids are not labels:
    Graphviz shows them unread, so give nodes plain ids of your own.)"""
    return _quoted(text, "\\\\")


def dot_tooltip(text: str) -> str:
    """``text`` as a DOT double-quoted string that a ``tooltip`` shows
    literally: Graphviz reads a tooltip's backslashes twice (``\\\\N``
    becomes the node's name), so each is escaped twice."""
    return _quoted(text, "\\\\\\\\")


def _quoted(text: str, backslash: str) -> str:
    text = _CONTROL.sub("\ufffd", text)
    # "&" first: Graphviz reads "&amp;" and other entities in labels.
    text = text.replace("&", "&amp;").replace("\\", backslash).replace('"', '\\"')
    return '"' + _NEWLINE.sub("\\\\n", text) + '"'


def dot_url(href: str) -> str:
    """A link (a path, a query, a fragment) as a DOT string for ``URL``:
    every character but a few unreserved ones percent-encoded, "&" as the
    entity XML wants, because Graphviz writes ``URL`` into the SVG as is."""
    return '"' + quote(href, safe=_URL_SAFE + "&").replace("&", "&amp;") + '"'


def render_svg(dot_source: str) -> str:
    """The ``<svg>`` element Graphviz draws for ``dot_source``, without the
    XML prolog, doctype and comments, ready to inline in HTML."""
    executable = shutil.which("dot")
    if executable is None:
        raise GraphvizMissingError()
    try:
        done = subprocess.run(
            [executable, "-Tsvg"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GraphvizFailedError(f"no answer within {DOT_TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        raise GraphvizFailedError(_first_line(done.stderr) or f"exit code {done.returncode}")
    return _svg_element(done.stdout.decode("utf-8", errors="replace"))


def _first_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", errors="replace").strip().splitlines()
    return lines[0].strip() if lines else ""


def _svg_element(document: str) -> str:
    start = document.find("<svg")
    if start < 0:
        raise GraphvizFailedError("its output holds no <svg> element")
    return _COMMENT.sub("", document[start:]).strip()
