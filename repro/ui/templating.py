"""The templates' shared vocabulary: filters, the stylesheet, and the Jinja2
environment a report is rendered with outside any web server.

Autoescaping is on for every template: step names, params, metrics and tags
are user text and reach the page only as text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from repro.ui.errors import UiDependencyError
from repro.views.formats import human_duration, human_size, short_oid
from repro.views.lineage_graph import Linker

if TYPE_CHECKING:
    import jinja2

__all__ = ["FILTERS", "Linker", "no_links", "report_environment", "stylesheet"]


FILTERS: dict[str, Callable[..., Any]] = {
    "size": human_size,
    "short": short_oid,
    "duration": human_duration,
}


def no_links(route: str, query: Any = None, /, **values: str) -> None:
    return None


@cache
def stylesheet() -> str:
    return resources.files("repro.ui").joinpath("static/ui.css").read_text(encoding="utf-8")


def report_environment() -> jinja2.Environment:
    try:
        import jinja2
    except ImportError as exc:  # the `ui` extra is optional
        raise UiDependencyError("Jinja2") from exc

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("repro.ui", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters.update(FILTERS)
    environment.globals.update(link=no_links, stylesheet=stylesheet, standalone=True)
    return environment
