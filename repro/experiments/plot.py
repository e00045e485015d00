"""A metric across runs as a chart: a PNG, or an HTML page that holds the
chart as inline SVG and the points as a table, so that it opens anywhere
with no network (no CDN, no script).

matplotlib (the ``plot`` extra) is imported only here, only when a chart is
drawn, and drawn on a bare Agg figure (no pyplot, no display, no global
state). The bytes are kept stable: no timestamps, a fixed SVG id salt.
"""

from __future__ import annotations

import html
import io
import os
from typing import TYPE_CHECKING, Final

from repro.atomic import write_atomic
from repro.errors import ReproError, UsageError
from repro.experiments.metrics import MetricPoint, MetricSeries

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "PLOT_FORMATS",
    "PlotDependencyError",
    "UnsupportedPlotFormatError",
    "chart_format",
    "metric_svg",
    "plot_metric",
]

PLOT_FORMATS: Final = (".png", ".html")
_MAX_LABELS: Final = 40  # run ids or commits under the axis, at most


class UnsupportedPlotFormatError(UsageError, ValueError):
    def __init__(self, path: str) -> None:
        self.path = path
        self.suffix = os.path.splitext(path)[1]
        super().__init__(
            f"cannot write a chart to {path!r}: unknown suffix {self.suffix or '(none)'!r}; "
            f"name a {' or '.join(PLOT_FORMATS)} file"
        )


class PlotDependencyError(ReproError, ImportError):
    def __init__(self) -> None:
        super().__init__("charts need matplotlib: pip install 'repro-gitops[plot]'")


def plot_metric(series: MetricSeries, path: str) -> str:
    """Draw ``series`` into ``path`` (``.png`` or ``.html``); the path written."""
    suffix = chart_format(path)
    figure = _figure(series)
    data = _png(figure) if suffix == ".png" else _html(series, _svg(figure))
    write_atomic(path, data)
    return path


def metric_svg(series: MetricSeries) -> str:
    """The chart of ``series`` as an inline ``<svg>`` element: its text
    (the metric's name, run ids, commits) escaped by matplotlib. Without
    matplotlib, an ``<svg>`` saying why there is no chart: a page that
    shows the points too must still open (matplotlib is an extra)."""
    try:
        figure = _figure(series)
    except PlotDependencyError as exc:
        return _unavailable_svg(str(exc))
    return _svg(figure)


def _unavailable_svg(reason: str) -> str:
    text = html.escape(f"No chart: {reason}")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="no-chart" role="img" '
        f'aria-label="{text}" width="720" height="40" viewBox="0 0 720 40">'
        f'<text x="8" y="25" font-family="sans-serif" font-size="14">{text}</text></svg>'
    )


def chart_format(path: str) -> str:
    """The chart format ``path`` names by its suffix; anything else is an error."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in PLOT_FORMATS:
        raise UnsupportedPlotFormatError(path)
    return suffix


def _figure(series: MetricSeries) -> Figure:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise PlotDependencyError() from exc
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(series.points)))
    axes.plot(positions, [point.value for point in series.points], marker="o")
    every = max(1, -(-len(positions) // _MAX_LABELS))  # every n-th point labelled: no overlap
    labels = series.labels()[::every]
    axes.set_xticks(positions[::every], labels, rotation=45, ha="right", fontsize="small")
    # A metric's name is user text: "$" in it is a dollar, not TeX to parse.
    axes.set_title(_title(series), parse_math=False)
    axes.set_xlabel(series.by)
    axes.set_ylabel(series.metric, parse_math=False)
    axes.grid(visible=True, alpha=0.3)
    return figure


def _title(series: MetricSeries) -> str:
    return f"{series.metric} by {series.by}"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def _svg(figure: Figure) -> str:
    from matplotlib import rc_context

    buffer = io.BytesIO()
    # Text stays text (searchable, small); ids come from a fixed salt.
    with rc_context({"svg.hashsalt": "repro", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue().decode()
    return text[text.index("<svg") :]  # inline: no XML declaration, no doctype


_PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; margin-top: 1em; }}
th, td {{ border: 1px solid #ccc; padding: 2px 8px; text-align: left; }}
</style>
</head>
<body>
<h1>{title}</h1>
{svg}
<table>
<thead><tr><th>run</th><th>commit</th><th>pipeline</th><th>step</th><th>{metric}</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def _html(series: MetricSeries, svg: str) -> bytes:
    rows = "\n".join(_row(point) for point in series.points)
    page = _PAGE.format(
        title=html.escape(_title(series)), svg=svg, metric=html.escape(series.metric), rows=rows
    )
    return page.encode()


def _row(point: MetricPoint) -> str:
    commit = (point.commit or "-") + (" (dirty)" if point.dirty else "")
    cells = (point.run, commit, point.pipeline, point.step, f"{point.value:.10g}")
    return "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>"
