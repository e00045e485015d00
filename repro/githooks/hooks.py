"""``repro hook NAME ARGS…``: what the installed Git hooks run. Each hook
acts on the repro project at the top of the work tree (where Git runs
hooks), or the one ``repro install-hooks`` recorded below it; outside a
project a hook passes with a note, since a ``core.hooksPath`` shared by
many repositories reaches some that are not repro projects.

pre-push fails (and so stops the push) when the runs it must push cannot
be pushed; post-checkout and post-merge never fail: the checkout or merge
has happened, and what they could not do is reported."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from repro.errors import ReproError, UsageError
from repro.git.command import Workdir
from repro.githooks.gitrepo import config_get, rebasing, workdir
from repro.githooks.install import PROJECT_KEY
from repro.githooks.scripts import HOOK_NAMES
from repro.project import NotAProjectError, Project, find_project

__all__ = ["HookReport", "UnknownHookError", "run_hook"]


class UnknownHookError(UsageError, ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no repro hook {name!r} (hooks: {', '.join(HOOK_NAMES)})")


@dataclass
class HookReport:
    hook: str
    notes: list[str] = field(default_factory=list)  # lines for stderr


def run_hook(
    name: str, args: Sequence[str], stdin: str, cwd: str, environ: Mapping[str, str]
) -> HookReport:
    if name not in HOOK_NAMES:
        raise UnknownHookError(name)
    report = HookReport(name)
    found = _locate(cwd)
    if found is None:
        report.notes.append(f"repro {name}: not a repro project here; nothing to do")
        return report
    project, tree = found
    if name == "pre-push":
        _pre_push(project, tree, stdin, report)
    elif _wanted(name, args) and not rebasing(tree, environ):
        _checkout_data(project, report)
    return report


def _locate(cwd: str) -> tuple[Project, Workdir] | None:
    from repro.git.errors import NotInGitError

    try:
        tree = workdir(cwd)
    except NotInGitError:
        return None
    try:
        return find_project(cwd), tree
    except NotAProjectError:
        pass
    relative = config_get(tree, PROJECT_KEY)
    if relative and os.path.isdir(os.path.join(tree.root, relative, ".repro")):
        return Project(os.path.join(tree.root, relative)), tree
    return None


def _wanted(name: str, args: Sequence[str]) -> bool:
    """post-checkout gets ``<old> <new> <flag>``; flag 0 is a checkout of
    files, not of a branch or commit."""
    if name == "post-checkout":
        return len(args) >= 3 and args[2] == "1"
    return True


def _pre_push(project: Project, tree: Workdir, stdin: str, report: HookReport) -> None:
    from repro.githooks.prepush import parse_pushed_refs, push_pinned_runs

    outcome = push_pinned_runs(project, tree, parse_pushed_refs(stdin))
    if outcome.note:
        report.notes.append(f"repro pre-push: {outcome.note}")
    elif outcome.remote is not None:
        report.notes.append(
            f"repro pre-push: {len(outcome.runs)} run(s) repro.lock pins are on remote "
            f"{outcome.remote!r} ({outcome.moved} object(s) sent)"
        )


def _checkout_data(project: Project, report: HookReport) -> None:
    from repro.githooks.data import checkout_pinned_data
    from repro.runner.lockfile import load_lock

    try:
        lock = load_lock(project)
        if lock is None:
            return
        done = checkout_pinned_data(project, lock)
    except ReproError as exc:
        report.notes.append(f"repro {report.hook}: data not checked out: {exc}")
        return
    hook = f"repro {report.hook}"
    report.notes += [f"{hook}: restored {uri}" for uri in done.restored]
    report.notes += [
        f"{hook}: kept {uri}: it differs from the snapshot repro.lock pins and is not stored; "
        f"'repro snapshot {uri}' stores it, then 'repro hook {report.hook}' checks out the "
        "pinned one"
        for uri in done.kept
    ]
    if done.missing:
        report.notes.append(
            f"{hook}: {', '.join(done.missing)}: the snapshot repro.lock pins is not in the "
            "local cache; 'repro pull' fetches it"
        )
    report.notes += [
        f"{hook}: left {uri} alone: two pipelines in repro.lock pin different snapshots of it"
        for uri in done.clashing
    ]
