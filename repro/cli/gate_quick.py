"""``repro check`` as the pre-commit hooks call it (``check NAME [--json]
[PATH...]``, no other option), answered before typer and the command tree
load: a tenth of a second of each hook, four hooks to a commit. Anything
else, and any error, goes to the full CLI (``repro.cli.gate_commands``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from repro.gates import GateResult

__all__ = ["quick_check", "render", "render_json"]


def render(results: Sequence[GateResult], *, prefixed: bool) -> list[str]:
    """One line per finding, then the notes (each named by its gate when
    several gates ran); a file name in one cannot break it."""
    from repro.cli.output import one_line

    lines = []
    for result in results:
        prefix = f"{result.check}: " if prefixed else ""
        lines += [one_line(prefix + finding.line) for finding in result.findings]
        lines += [one_line(f"{prefix}note: {note}") for note in result.notes]
    return lines


def render_json(results: Sequence[GateResult], *, prefixed: bool) -> str:
    docs = [result.to_dict() for result in results]
    if prefixed:
        passed = all(result.passed for result in results)
        return json.dumps({"passed": passed, "checks": docs}, indent=2, sort_keys=True)
    return json.dumps(docs[0], indent=2, sort_keys=True)


def quick_check(argv: Sequence[str]) -> int | None:
    """The exit code of ``repro ARGV`` when it is a plain gate run it could
    answer; None to leave it to the full CLI."""
    if len(argv) < 2 or argv[0] != "check":
        return None
    as_json = "--json" in argv[2:]
    paths = [arg for arg in argv[2:] if arg != "--json"]
    if any(arg.startswith("-") for arg in paths):
        return None
    from repro.errors import ReproError
    from repro.gates.checks import CHECKS, run_check, run_checks

    if argv[1] not in (*CHECKS, "all"):
        return None
    try:
        results = run_checks(paths) if argv[1] == "all" else [run_check(argv[1], paths)]
    except (ReproError, OSError):
        return None  # the full CLI says what is wrong
    prefixed = argv[1] == "all"
    lines = (
        [render_json(results, prefixed=prefixed)] if as_json else render(results, prefixed=prefixed)
    )
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0 if all(result.passed for result in results) else 1
