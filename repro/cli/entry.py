"""The ``repro`` executable. A bare ``repro run [TARGET]`` whose lock still
holds is answered before typer and the command tree are loaded (a tenth of
a second of the no-op budget); everything else goes to the full CLI."""

from __future__ import annotations

import sys

__all__ = ["main"]


def _no_op_run(argv: list[str]) -> str | None:
    """The line to print when ``argv`` is a bare run of up-to-date pipelines."""
    if not argv or argv[0] != "run" or len(argv) > 2 or any(a.startswith("-") for a in argv[1:]):
        return None
    from repro.errors import ReproError
    from repro.project import find_project
    from repro.runner.fastpath import up_to_date
    from repro.runner.targets import resolve_targets

    try:
        project = find_project()
        lines = []
        for target in resolve_targets(project.root, argv[1] if len(argv) == 2 else None):
            found = up_to_date(project, target, {})
            if found is None:
                return None
            lines += [f"  cached   {step}" for step in found.steps]
            lines.append(
                f"{found.pipeline}: up to date, {len(found.steps)} steps cached (run {found.run})"
            )
    except (ReproError, OSError):
        return None  # the full CLI says what is wrong
    return "\n".join(lines)


def main() -> None:
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
