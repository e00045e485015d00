"""Typer wiring of ``repro install-hooks``, the hidden ``repro hook`` that
the installed Git hooks run, and ``repro lock merge``, the merge driver of
repro.lock. Each parses, calls one function of ``repro.githooks`` and
renders."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from repro.cli import output
from repro.cli.pipeline_commands import lock_app

if TYPE_CHECKING:
    from repro.githooks.install import InstallReport

__all__ = ["register"]


def install_hooks(
    uninstall: Annotated[
        bool,
        typer.Option(
            "--uninstall",
            help="Remove repro's hooks and merge driver; put back the hooks they chained.",
        ),
    ] = False,
) -> None:
    """Install repro's Git hooks and the repro.lock merge driver.

    pre-push pushes the runs repro.lock pins to the default remote (skip it
    once with git push --no-verify); post-checkout and post-merge check out
    the data it pins. The folder Git runs hooks from is used (core.hooksPath
    respected); a hook already there is kept as NAME.pre-repro and run first.
    Running it again changes nothing."""
    from repro.githooks.install import install_hooks as install
    from repro.githooks.install import uninstall_hooks
    from repro.project import find_project

    project = find_project()
    report = uninstall_hooks(project) if uninstall else install(project)
    _render_install(report, uninstall)


def _render_install(report: InstallReport, uninstall: bool) -> None:
    from repro.githooks.install import ATTRIBUTES_LINE

    where = report.hooks_dir
    if not report.changed:
        state = "not installed" if uninstall else "already installed"
        output.say(f"repro's hooks are {state} in {where}; nothing changed")
    verb = "removed" if uninstall else "installed"
    for name in report.hooks:
        output.say(f"{verb} {os.path.join(where, name)}")
    for name in report.chained:
        output.say(f"kept the existing {name} hook as {name}.pre-repro; it runs first")
    for name in report.restored:
        output.say(f"put back {name} (was {name}.pre-repro)")
    for name in report.foreign:
        output.say(f"left {name} alone: it is not repro's")
    if report.attributes and not uninstall:
        output.say(
            f"added '{ATTRIBUTES_LINE}' to {report.attributes}: commit it, so that every "
            "clone merges repro.lock per pipeline (each clone runs 'repro install-hooks')"
        )
    elif report.attributes:
        output.say(f"removed '{ATTRIBUTES_LINE}' from {report.attributes}: commit that")
    if report.driver:
        done = "unregistered" if uninstall else "registered"
        output.say(f"{done} the repro-lock merge driver in the repository's Git config")


def hook(
    name: Annotated[str, typer.Argument(help="pre-push, post-checkout or post-merge.")],
    args: Annotated[list[str] | None, typer.Argument(help="What Git passes the hook.")] = None,
) -> None:
    """Run one of repro's Git hooks (what the installed hooks call)."""
    from repro.githooks.hooks import run_hook

    stdin = sys.stdin.read() if name == "pre-push" and not sys.stdin.isatty() else ""
    report = run_hook(name, args or [], stdin, os.getcwd(), os.environ)
    for line in report.notes:
        output.say_err(line)


def lock_merge(
    base: Annotated[str, typer.Argument(help="The common ancestor's repro.lock (Git's %O).")],
    ours: Annotated[str, typer.Argument(help="Our repro.lock (%A); the result is written here.")],
    theirs: Annotated[str, typer.Argument(help="The merged branch's repro.lock (%B).")],
) -> None:
    """Merge three versions of repro.lock pipeline by pipeline (Git's merge driver).

    Exit 1 when a pipeline changed on both sides: our entry stays, the
    conflict is recorded, and `repro run` of that pipeline resolves it."""
    from repro.githooks.lockmerge import merge_lock_files
    from repro.lineage.lock import conflict_note

    result = merge_lock_files(base, ours, theirs)
    for name in result.conflicts:
        output.say_err(f"conflict: {conflict_note(result.lock, name)}, then git add repro.lock")
    if result.conflicts:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("install-hooks")(install_hooks)
    app.command(
        "hook",
        hidden=True,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": False},
    )(hook)
    lock_app.command("merge")(lock_merge)
