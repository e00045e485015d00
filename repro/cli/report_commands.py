"""Typer wiring of ``repro report``: one run as a self-contained HTML file.
Jinja2 and the views are imported only when the command runs."""

from __future__ import annotations

from typing import Annotated

import typer

from repro.cli import output

__all__ = ["register"]


def report(
    run: Annotated[str, typer.Argument(help="Run id or a unique prefix.")],
    path: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="File to write (default: <run id>.html in this folder)."
        ),
    ] = None,
) -> None:
    """Write a run's report: pins, DAG, steps and cache decisions, outputs with
    previews, metrics, logs and replays, in one HTML file that needs no network."""
    from repro.lineage.runs import RunIndex
    from repro.project import find_project
    from repro.ui.report import write_report

    project = find_project()
    if path is None:
        index = RunIndex(project.repro_dir)
        path = f"{index.resolve(run)}.html"
    written = write_report(project, run, path)
    output.say(written.path)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
