"""``repro gc``: remove the objects no kept run needs, locally and (with
``--remote``) on a remote. Parses, calls ``collect_garbage``, renders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
from typer.core import TyperCommand

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption

if TYPE_CHECKING:
    from repro.runner.gc import GcOutcome
    from repro.store.gc import GcReport

__all__ = ["OptionalRemoteCommand", "register"]


class OptionalRemoteCommand(TyperCommand):
    """``--remote`` alone means the default remote, ``--remote NAME`` a named
    one: click supports an option whose value may be left out, typer does
    not expose it, so it is switched on here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, click.Option) and param.name == "remote":
                param._flag_needs_value = True
                param.flag_value = ""


def gc(
    all_commits: Annotated[
        bool,
        typer.Option(
            "--all-commits", help="Also keep the runs of every commit that changed repro.lock."
        ),
    ] = False,
    keep_days: Annotated[
        int | None,
        typer.Option("--keep-days", min=0, help="Also keep every run started in the last N days."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Remove nothing; show what would go.")
    ] = False,
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote",
            "-r",
            metavar="[NAME]",
            help="Also collect a remote (the default one if NAME is left out).",
        ),
    ] = None,
    grace: Annotated[
        str,
        typer.Option(
            "--grace",
            metavar="DURATION",
            help="Never remove what was written this recently (30s, 15m, 1h, 2d; 0 for none).",
        ),
    ] = "1h",
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Fail instead of waiting for a run in progress.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove objects that no kept run references.

    Kept: the runs repro.lock pins and the runs models.yaml promoted, in the
    work tree and in every branch and tag (--all-commits: every commit), runs
    newer than --keep-days, runs in progress. Runs not kept are forgotten:
    their records go too, and so does what killed runs left."""
    from repro.project import find_project
    from repro.runner.gc import collect_garbage, parse_duration

    grace_seconds = parse_duration(grace)
    with output.progress_bar("collecting", None, unit="objects") as advance:
        outcome = collect_garbage(
            find_project(),
            remote=None if remote is None else (remote or True),
            all_commits=all_commits,
            keep_days=keep_days,
            dry_run=dry_run,
            grace_seconds=grace_seconds,
            wait=not no_wait,
            on_wait=output.say_err,
            progress=advance,
        )
    if as_json:
        output.print_json(outcome.to_dict())
    else:
        _render(outcome)
    if outcome.local.problems or (outcome.remote and outcome.remote.problems):
        raise typer.Exit(1)


def _render(outcome: GcOutcome) -> None:
    output.say(f"kept {_runs(len(outcome.kept.reasons))}{_why(outcome.kept.reasons)}")
    output.say(_store_line("local cache", outcome.local))
    if outcome.remote is not None:
        output.say(_store_line(f"remote {outcome.remote_name!r}", outcome.remote))
    verb = "would forget" if outcome.dry_run else "forgot"
    if outcome.forgotten:
        output.say(f"{verb} {_runs(len(outcome.forgotten))}: {_some(outcome.forgotten)}")
    if outcome.killed_removed:
        removal = "would remove" if outcome.dry_run else "removed"
        count = len(outcome.killed_removed)
        runs = "1 killed run" if count == 1 else f"{count} killed runs"
        output.say(f"{removal} what {runs} left: {_some(outcome.killed_removed)}")
    if outcome.remote_forgotten:
        runs = _runs(len(outcome.remote_forgotten))
        output.say(f"{verb} {runs} on the remote: {_some(outcome.remote_forgotten)}")
    if outcome.unresolved:
        output.say_err(
            f"warning: no record found for {_runs(len(outcome.unresolved))} kept "
            f"({_some(outcome.unresolved)}); only the objects their lock entries name were kept"
        )
    for report in (outcome.local, outcome.remote):
        for problem in report.problems if report else []:
            output.say_err(f"problem: {problem}")
    for warning in outcome.warnings:
        output.say_err(f"note: {warning}")
    output.say(_summary(outcome))


def _why(reasons: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for reason in reasons.values():
        counts[_kind(reason)] = counts.get(_kind(reason), 0) + 1
    return f" ({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))})" if counts else ""


def _kind(reason: str) -> str:
    """A reason without where it was found, to count runs by."""
    for kind in ("pinned by repro.lock", "named by models.yaml"):
        if reason.startswith(kind):
            return kind
    return reason


def _store_line(where: str, report: GcReport) -> str:
    verb = "would remove" if report.dry_run else "removed"
    parts = [
        f"{where}: {verb} {_objects(report.removed)} ({output.human_size(report.removed_bytes)})"
    ]
    kept = f"kept {_objects(report.kept)}"
    if report.kept_recent:
        kept += f", {report.kept_recent} unreferenced but within the grace period"
    if report.kept_untimed:
        kept += f", {report.kept_untimed} unreferenced with no time to judge them by"
    parts.append(kept)
    if report.packs_rewritten or report.packs_removed:
        parts.append(f"{report.packs_rewritten} pack(s) rewritten, {report.packs_removed} removed")
    if report.leftovers_removed:
        size = output.human_size(report.leftover_bytes)
        parts.append(f"{report.leftovers_removed} leftover file(s) of interrupted writes ({size})")
    return "; ".join(parts)


def _summary(outcome: GcOutcome) -> str:
    verb = "would remove" if outcome.dry_run else "removed"
    local = outcome.local
    line = f"gc: {verb} {_objects(local.removed)} ({output.human_size(local.removed_bytes)})"
    line += " from the local cache"
    if outcome.remote is not None:
        remote = outcome.remote
        size = output.human_size(remote.removed_bytes)
        line += f" and {_objects(remote.removed)} ({size}) from remote {outcome.remote_name!r}"
    return f"{line}; {_runs(len(outcome.kept.reasons))} kept"


def _objects(count: int) -> str:
    return f"{count} object" if count == 1 else f"{count} objects"


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _some(items: list[str], shown: int = 5) -> str:
    return ", ".join(items[:shown]) + (
        f" … and {len(items) - shown} more" if len(items) > shown else ""
    )


def register(app: typer.Typer) -> None:
    app.command("gc", cls=OptionalRemoteCommand)(gc)
