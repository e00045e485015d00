"""``repro mlflow status|sync``: which runs reached the MLflow tracking
server, and sending again those that did not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption

if TYPE_CHECKING:
    from repro.mirrors.mlflow import MirrorOutcome, RunMirrorState

__all__ = ["register"]

mlflow_app = typer.Typer(
    help="Mirror runs to an MLflow tracking server (\\[tool.repro.mlflow] in pyproject.toml).",
    no_args_is_help=True,
)


@mlflow_app.command()
def sync(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Run ids or unique prefixes (default: every run not yet mirrored to the "
            "configured tracking URI, or whose mirror failed)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Mirror runs to MLflow: params, metrics, tags and model files. Safe to repeat."""
    from repro.mirrors.mlflow import sync_runs
    from repro.project import find_project

    outcomes = sync_runs(find_project(), runs or [], progress=None if as_json else _say_outcome)
    if as_json:
        output.print_json([_outcome_json(outcome) for outcome in outcomes])
    else:
        _say_summary(outcomes)
    if any(outcome.status == "failed" for outcome in outcomes):
        raise typer.Exit(1)


def _say_outcome(outcome: MirrorOutcome) -> None:
    if outcome.status == "mirrored":
        output.say(
            f"mirrored {outcome.run} -> MLflow run {outcome.mlflow_run_id} "
            f"(experiment {outcome.experiment!r} at {outcome.tracking_uri})"
        )
    else:
        output.say_err(f"failed {outcome.run}: {outcome.error}")


def _say_summary(outcomes: list[MirrorOutcome]) -> None:
    if not outcomes:
        output.say("nothing to mirror: every run is mirrored")
        return
    failed = sum(outcome.status == "failed" for outcome in outcomes)
    output.say(f"{len(outcomes) - failed} mirrored, {failed} failed")


def _outcome_json(outcome: MirrorOutcome) -> dict[str, str | None]:
    return {
        "run": outcome.run,
        "status": outcome.status,
        "mlflow_run_id": outcome.mlflow_run_id,
        "error": outcome.error,
        "tracking_uri": outcome.tracking_uri,
        "experiment": outcome.experiment,
    }


@mlflow_app.command()
def status(as_json: JsonOption = False) -> None:
    """List every run with its mirror state: mirrored, failed or unsynced."""
    from repro.mirrors.mlflow import mirror_states, mlflow_settings
    from repro.project import find_project

    project = find_project()
    settings = mlflow_settings(project.root)
    rows = mirror_states(project)
    if as_json:
        output.print_json(
            {
                "tracking_uri": settings.shown_uri if settings else None,
                "runs": [_state_json(row) for row in rows],
            }
        )
        return
    if settings is None:
        output.say("MLflow: not configured (no tracking URI), nothing is mirrored")
    else:
        output.say(f"MLflow: {settings.shown_uri}")
    for row in rows:
        output.say(_state_line(row, settings.shown_uri if settings else None))


def _state_json(row: RunMirrorState) -> dict[str, str | None]:
    state = row.state
    return {
        "run": row.run,
        "status": row.label,
        "mlflow_run_id": state.mlflow_run_id if state else None,
        "experiment": state.experiment if state else None,
        "tracking_uri": state.tracking_uri if state else None,
        "at": state.at if state else None,
        "reason": state.reason if state else None,
    }


def _state_line(row: RunMirrorState, uri: str | None) -> str:
    state = row.state
    if state is None:
        return f"{row.run}  unsynced"
    elsewhere = f" at {state.tracking_uri}" if state.tracking_uri != uri else ""
    if state.status == "failed":
        return f"{row.run}  failed    {state.at}{elsewhere}  {state.reason}"
    return f"{row.run}  mirrored  {state.at}  {state.experiment}/{state.mlflow_run_id}{elsewhere}"


def register(app: typer.Typer) -> None:
    app.add_typer(mlflow_app, name="mlflow")
