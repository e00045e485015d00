"""The gates by name, each run over the repro projects its paths fall in
(or the one holding the current folder): what ``repro check`` calls.

Outside a repro project a gate passes with a note: a repository may take
the hooks before it adopts repro, and a commit there has no lineage to
break."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from repro.gates.largedata import LARGE_DATA, check_large_data, staged_files
from repro.gates.lineage import LINEAGE, check_lineage
from repro.gates.lockvalid import LOCK, check_lock
from repro.gates.pinned import PINNED, check_pinned
from repro.gates.result import GateResult
from repro.gates.scope import outside_note, scope_of
from repro.project import Project

__all__ = ["CHECKS", "GateOptions", "run_check", "run_checks"]


@dataclass(frozen=True)
class GateOptions:
    max_size: int | None = None  # large-data: the limit, over the project's setting
    python: str | None = None  # lineage: the project's interpreter, over the one found


Check = Callable[[Project, list[str], str, GateOptions], GateResult]


def _lineage(project: Project, files: list[str], cwd: str, options: GateOptions) -> GateResult:
    return check_lineage(project, cwd=cwd, python=options.python)


def _lock(project: Project, files: list[str], cwd: str, options: GateOptions) -> GateResult:
    return check_lock(project, cwd=cwd)


def _large_data(project: Project, files: list[str], cwd: str, options: GateOptions) -> GateResult:
    return check_large_data(project, files, cwd=cwd, max_size=options.max_size)


def _pinned(project: Project, files: list[str], cwd: str, options: GateOptions) -> GateResult:
    return check_pinned(project, cwd=cwd)


CHECKS: dict[str, Check] = {
    LINEAGE: _lineage,
    LOCK: _lock,
    LARGE_DATA: _large_data,
    PINNED: _pinned,
}


def run_check(
    name: str,
    paths: Sequence[str] = (),
    *,
    cwd: str | None = None,
    options: GateOptions | None = None,
) -> GateResult:
    """Gate ``name`` over the projects holding ``paths`` (large-data: the
    files themselves; with none given, the staged files)."""
    cwd = cwd or os.getcwd()
    options = options or GateOptions()
    scope = scope_of(paths, cwd)
    if name == LARGE_DATA and not paths and scope.projects:
        paths = staged_files(cwd)
        if not paths:
            return GateResult(name, notes=("no staged files",))
        scope = scope_of(paths, cwd)
    if not scope.projects:
        return GateResult(name, notes=(outside_note(cwd, scope.outside),))
    check = CHECKS[name]
    return GateResult.merged(
        name, [check(Project(root), files, cwd, options) for root, files in scope.projects.items()]
    )


def run_checks(
    paths: Sequence[str] = (), *, cwd: str | None = None, options: GateOptions | None = None
) -> list[GateResult]:
    """Every gate, in order."""
    return [run_check(name, paths, cwd=cwd, options=options) for name in CHECKS]
