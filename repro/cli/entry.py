"""The ``repro`` executable. A bare ``repro run [TARGET]`` whose lock still
holds, or ``repro run [TARGET] --if-changed`` whose locked inputs are still
the data, is answered before typer and the command tree are loaded (a tenth
of a second of the no-op budget); everything else goes to the full CLI."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from repro.project import Project
    from repro.runner.targets import Target

__all__ = ["main"]


def _no_op_run(argv: list[str]) -> str | None:
    """The line to print when ``argv`` is a bare run of up-to-date pipelines
    (or, with ``--if-changed``, of pipelines whose inputs did not change)."""
    if not argv or argv[0] != "run":
        return None
    args = argv[1:]
    if_changed = "--if-changed" in args
    args = [a for a in args if a != "--if-changed"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        return None
    from repro.errors import ReproError
    from repro.project import find_project
    from repro.runner.targets import resolve_targets

    try:
        project = find_project()
        lines = []
        for target in resolve_targets(project.root, args[0] if args else None):
            found = _unchanged(project, target) if if_changed else _up_to_date(project, target)
            if found is None:
                return None
            lines += found
    except (ReproError, OSError):
        return None  # the full CLI says what is wrong
    return "\n".join(lines)


def _up_to_date(project: Project, target: Target) -> list[str] | None:
    from repro.runner.fastpath import up_to_date

    found = up_to_date(project, target, {})
    if found is None:
        return None
    return [f"  cached   {step}" for step in found.steps] + [
        f"{found.pipeline}: up to date, {len(found.steps)} steps cached (run {found.run})"
    ]


def _unchanged(project: Project, target: Target) -> list[str] | None:
    from repro.runner.ifchanged import inputs_unchanged

    found = inputs_unchanged(project, target)
    if found is None:
        return None
    return [f"{found.pipeline}: inputs unchanged since run {found.run}; not run"]


def main() -> None:
    from repro.cli.output import forgiving_streams

    # Before anything prints: a closed pipe must not stop a run half-way
    # (see repro.cli.output for what happens to the output and exit status).
    forgiving_streams()
    line = _no_op_run(sys.argv[1:])
    if line is not None:
        sys.stdout.write(line + "\n")
        return
    if sys.argv[1:2] == ["check"]:  # the pre-commit hooks: answered without typer too
        from repro.cli.gate_quick import quick_check

        code = quick_check(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    from repro.cli.main import run

    run()
