"""The UI's addresses, in one table: pages link to each other through it
(so no page depends on another page's module) and a report, which has no
other pages, links nowhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final
from urllib.parse import quote, urlencode

__all__ = ["ROUTES", "route_path"]

# name -> path; each is served by a rule of the same shape in repro.ui.pages.
ROUTES: Final = {
    "runs": "/runs",
    "run": "/runs/{run}",
    "compare": "/compare",
    "metrics": "/metrics",
    "artifact": "/artifacts/{oid}",
    "models": "/models",
    "model": "/models/{name}",
    "tree": "/trees/{oid}",
    "tree_file": "/trees/{oid}/files/{path}",
    "object": "/objects/{oid}",
}

Query = Mapping[str, str | Sequence[str]]


def route_path(route: str, query: Query | None = None, /, **values: str) -> str:
    """The path of page ``route`` (a key of ROUTES) with its values quoted;
    positional-only, since a value may be called ``name``."""
    quoted = {key: quote(value, safe="/" if key == "path" else "") for key, value in values.items()}
    path = ROUTES[route].format(**quoted)
    return f"{path}?{urlencode(query, doseq=True)}" if query else path
