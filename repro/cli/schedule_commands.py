"""``repro schedule list|render``: the pipelines' schedules, and the CI
system's scheduled jobs compiled from them."""

from __future__ import annotations

from typing import Annotated

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption

schedule_app = typer.Typer(
    help="Pipeline schedules, compiled to CI scheduled jobs (Argo: `repro argo render --cron`).",
    no_args_is_help=True,
)


@schedule_app.command("list")
def list_schedules(as_json: JsonOption = False) -> None:
    """The configured pipelines that have a schedule, with their cron expressions."""
    from repro.project import find_project
    from repro.runner.schedules import pipeline_schedules

    found = pipeline_schedules(find_project())
    if as_json:
        output.print_json(
            [
                {
                    "pipeline": s.pipeline,
                    "target": s.target,
                    "crons": list(s.crons),
                    "timezone": s.timezone,
                }
                for s in found
            ]
        )
        return
    for schedule in found:
        zone = f" ({schedule.timezone})" if schedule.timezone else ""
        output.say(f"{schedule.pipeline}: {', '.join(schedule.crons)}{zone}")
    if not found:
        output.say_err("no configured pipeline has a schedule (@pipeline(schedule=...))")


@schedule_app.command()
def render(
    system: Annotated[str, typer.Argument(help="The CI system: github or gitlab.")],
    out: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the YAML here (default: stdout).")
    ] = None,
) -> None:
    """Write the CI system's scheduled retraining jobs, one per scheduled pipeline.

    Each runs `repro run PIPELINE --if-changed`, pushes and commits the lock."""
    from repro.errors import UsageError
    from repro.project import find_project
    from repro.runner.schedules import pipeline_schedules
    from repro.schedules import render_ci_schedules

    found = pipeline_schedules(find_project())
    if not found:
        raise UsageError("no configured pipeline has a schedule: give @pipeline(schedule=...)")
    text = render_ci_schedules(system, found)
    if out is None:
        output.say(text.rstrip("\n"))
        return
    from repro.atomic import write_atomic

    write_atomic(out, text.encode())
    output.say_err(f"{len(found)} scheduled job(s) -> {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
