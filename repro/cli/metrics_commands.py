"""Typer wiring of the tracking queries: ``repro metrics show|plot``, and the
loading and rendering that ``repro runs list|compare`` share with them.
rich, pydantic and matplotlib are imported inside the functions."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption

if TYPE_CHECKING:
    from rich.console import Console

    from repro.experiments.compare import Comparison, KeyDifference, Row
    from repro.experiments.metrics import MetricsTable
    from repro.lineage.records import RunRecord

__all__ = ["load_runs", "recorded_runs", "register", "render_comparison"]

metrics_app = typer.Typer(help="Metrics of recorded runs: tables and charts.", no_args_is_help=True)

_OID = re.compile(r"^[0-9a-f]{32,}$")


def recorded_runs() -> list[RunRecord]:
    """Every run recorded in the project, oldest first."""
    from repro.lineage.runs import RunIndex
    from repro.project import find_project

    return list(RunIndex(find_project().repro_dir).records())


def load_runs(prefixes: Iterable[str]) -> list[RunRecord]:
    """The runs the ids (or unique prefixes) name, in the order given."""
    from repro.lineage.runs import RunIndex
    from repro.project import find_project

    index = RunIndex(find_project().repro_dir)
    return [index.load(index.resolve(prefix)) for prefix in prefixes]


@metrics_app.command("show")
def metrics_show(
    run: Annotated[
        str | None,
        typer.Argument(help="Run id or a unique prefix; default: the latest run of each pipeline."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show the metrics each step of a run logged.

    With --json: an object for RUN, else a list (one per pipeline)."""
    from repro.experiments.metrics import latest_runs, metrics_table

    records = load_runs([run]) if run else latest_runs(recorded_runs())
    tables = [metrics_table(record) for record in records]
    if as_json:
        docs = [table.to_dict() for table in tables]
        output.print_json(docs[0] if run else docs)
        return
    if not tables:
        output.say("no runs recorded (see `repro run`)")
    for table in tables:
        _say_table(table)


def _say_table(table: MetricsTable) -> None:
    commit = (table.commit or "-")[:10]
    output.say(f"{table.pipeline}  run {table.run}  {table.created[:19]}  {commit}")
    if not table.rows:
        output.say("  (no metrics)")
    width = max((len(f"{row.step}.{row.metric}") for row in table.rows), default=0)
    for row in table.rows:
        output.say(f"  {row.step + '.' + row.metric:<{width}}  {row.value:g}")


@metrics_app.command("plot")
def metrics_plot(
    metric: Annotated[str, typer.Argument(help="A metric: NAME, or STEP.NAME for one step's.")],
    out: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="The chart: FILE.png or FILE.html (default METRIC.png)."
        ),
    ] = None,
    by: Annotated[
        str,
        typer.Option("--by", help="One point per run, or per commit (its latest run): run|commit."),
    ] = "run",
    pipeline: Annotated[str | None, typer.Option("--pipeline", help="Only this pipeline.")] = None,
) -> None:
    """Chart a metric across runs (or commits), oldest first, as PNG or HTML.

    HTML is one self-contained file (inline SVG and a table of the points)."""
    from repro.experiments.filters import RunFilter, select_runs
    from repro.experiments.metrics import metric_series
    from repro.experiments.plot import chart_format, plot_metric

    path = out or re.sub(r"[^\w.-]", "_", metric) + ".png"
    chart_format(path)
    records = select_runs(recorded_runs(), RunFilter(pipeline=pipeline))
    series = metric_series(records, metric, by)
    plot_metric(series, path)
    count = len(series.points)
    output.say(f"wrote {path}: {metric} in {count} {by}{'s' if count != 1 else ''}")


def render_comparison(comparison: Comparison) -> None:
    """The comparison as two tables: values side by side (a differing row
    marked ``*``), then why each step's cache key differs from the first run's."""
    console = _console()
    if comparison.note:
        console.print(f"note: {comparison.note}")
    first = comparison.runs[0].id
    for changes in comparison.imports:
        for reason in changes.reasons:
            console.print(f"run {changes.run} against {first}: {reason}")
    console.print(_values_table(comparison))
    console.print(_keys_table(comparison))


def _console() -> Console:
    from rich.console import Console

    # Piped output is not wrapped at 80 columns: a table of ids needs room.
    width = None if sys.stdout.isatty() else 200
    return Console(width=width, markup=False, highlight=False, emoji=False)


def _values_table(comparison: Comparison) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, title="runs side by side", title_justify="left")
    table.add_column("")
    table.add_column("")
    for run in comparison.runs:
        table.add_column(f"{run.id}\n{run.pipeline}", overflow="fold")
    sections = (
        ("params", comparison.params),
        ("metrics", comparison.metrics),
        ("pins", comparison.pins),
        ("outputs", comparison.outputs),
    )
    for title, rows in sections:
        _add_section(table, title, rows)
    return table


def _add_section(table: Any, title: str, rows: tuple[Row, ...]) -> None:
    if not rows:
        return
    table.add_row("", title, style="bold")
    for row in rows:
        style = None if row.same else "yellow"
        table.add_row(" " if row.same else "*", row.key, *map(_cell, row.values), style=style)
    table.add_section()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value[:12] if _OID.match(value) else value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _keys_table(comparison: Comparison) -> Any:
    from rich import box
    from rich.table import Table

    first = comparison.runs[0].id
    title = f"why each step's cache key differs from run {first}"
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left")
    table.add_column("step")
    for run in comparison.runs[1:]:
        table.add_column(run.id, overflow="fold")
    for step in comparison.steps:
        table.add_row(step.step, *map(_why, step.differences))
    return table


def _why(difference: KeyDifference) -> str:
    """The components that differ, then one reason a line, then the files
    the step read undeclared that differ (the same key may hide them)."""
    parts = ", ".join(difference.components)
    lines = ["same key"] if difference.same else ([parts] if parts else [])
    return "\n".join(lines + list(difference.reasons) + list(difference.discovered))


def register(app: typer.Typer) -> None:
    app.add_typer(metrics_app, name="metrics")
