"""``repro push``, ``fetch`` and ``pull``: runs and their objects to and
from a remote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption

if TYPE_CHECKING:
    from repro.runner.sync import SyncOutcome

__all__ = ["register"]

RunsArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Run ids or unique prefixes (default: the runs repro.lock pins)."),
]
RemoteOption = Annotated[
    str | None, typer.Option("--remote", "-r", help="Remote name (default: the default remote).")
]
JobsOption = Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel transfers.")]


def push(
    runs: RunsArgument = None,
    all_runs: Annotated[bool, typer.Option("--all", help="Every run recorded here.")] = False,
    remote: RemoteOption = None,
    jobs: JobsOption = 8,
    as_json: JsonOption = False,
) -> None:
    """Send runs, their records and every object they need to a remote."""
    from repro.project import find_project
    from repro.runner.sync import push_runs

    with output.transfer_bar("push") as bar:
        outcome = push_runs(
            find_project(), runs or [], all_runs=all_runs, remote=remote, jobs=jobs, progress=bar
        )
    _render(outcome, "pushed", "to", as_json)


def fetch(
    runs: RunsArgument = None,
    remote: RemoteOption = None,
    jobs: JobsOption = 8,
    as_json: JsonOption = False,
) -> None:
    """Download runs and their objects into the local cache (nothing in the project changes)."""
    from repro.project import find_project
    from repro.runner.sync import fetch_runs

    with output.transfer_bar("fetch") as bar:
        outcome = fetch_runs(find_project(), runs or [], remote=remote, jobs=jobs, progress=bar)
    _render(outcome, "fetched", "from", as_json)


def pull(
    runs: RunsArgument = None,
    remote: RemoteOption = None,
    jobs: JobsOption = 8,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite data files that differ from the run's.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fetch runs, then put the data they read back in place in the project."""
    from repro.project import find_project
    from repro.runner.sync import pull_runs

    with output.transfer_bar("pull") as bar:
        outcome = pull_runs(
            find_project(), runs or [], remote=remote, jobs=jobs, progress=bar, force=force
        )
    _render(outcome, "pulled", "from", as_json)


def _render(outcome: SyncOutcome, verb: str, direction: str, as_json: bool) -> None:
    report = outcome.report
    for pack, reason in sorted(outcome.damaged.items()):
        output.say_err(
            output.one_line(
                f"note: pack {pack} on {outcome.remote.name} is damaged ({reason}); its objects "
                "were sent again; 'repro fsck --remote' names its files, which can be deleted"
            )
        )
    if as_json:
        output.print_json(
            {
                "remote": outcome.remote.name,
                "runs": outcome.runs,
                "objects": report.wanted,
                "present": report.present,
                "moved": report.moved,
                "bytes": report.bytes,
                "restored": outcome.restored,
            }
        )
        return
    runs = f"{len(outcome.runs)} run{'s' if len(outcome.runs) != 1 else ''}"
    output.say(
        f"{verb} {runs} {direction} {outcome.remote.name}: {report.moved} object(s) moved "
        f"({output.human_size(report.bytes)}), {report.present} already there"
    )
    for path in outcome.restored:
        output.say(f"restored {output.printable(path)}")


def register(app: typer.Typer) -> None:
    app.command()(push)
    app.command()(fetch)
    app.command()(pull)
