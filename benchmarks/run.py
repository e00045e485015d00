"""Run repro's benchmarks: all of them, or those named on the command line.

    python benchmarks/run.py                      # hashing, status, memory, dvc
    python benchmarks/run.py hashing status       # a subset, in that order
    python benchmarks/run.py --quick              # 10x smaller data: a smoke check

Each benchmark prints its tables as it goes; a summary of every target
follows, and the figures are written to benchmarks/.data/results.json
(results-quick.json with --quick). The exit code is 1 when a benchmark
crashed, or (with --strict) when a target was missed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.common import Context, Report

BENCHMARKS = (
    "hashing",
    "status",
    "memory",
    "dvc",
    "pipelines",
    "remote",
    "docker",
    "gates",
    "ui_runs",
    "soundness",
)


def _fix_import_path() -> None:
    """Run as a script, this folder is on ``sys.path`` and its modules would
    shadow top-level names (``dvc``...): put the repository there instead."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    _fix_import_path()
    from benchmarks.common import DATA_DIR, Context

    ctx = Context(quick=args.quick)
    ctx.work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    code = _code_state()
    print(f"repro under test: {_describe(code)}")
    reports = [_run_one(name, ctx) for name in args.names or BENCHMARKS]
    _print_summary(reports, time.time() - started)
    changed = _code_state() != code
    if changed:
        print("WARNING: repro's sources changed during the run; the figures mix versions")
    results = {**_results(ctx, reports, started), "code": code, "code_changed": changed}
    out = DATA_DIR / ("results-quick.json" if args.quick else "results.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults written to {out}")
    crashed = any(r.skipped and r.skipped.startswith("crashed") for r in reports)
    missed = any(not c.passed for r in reports for c in r.checks)
    return 1 if crashed or (args.strict and missed) else 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = ", ".join(BENCHMARKS)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of: {names} (default: all)")
    parser.add_argument("--quick", action="store_true", help="10x smaller datasets")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r} (known: {names})")
    return args


def _run_one(name: str, ctx: Context) -> Report:
    from benchmarks.common import Report

    print(f"\n=== {name}{' (quick)' if ctx.quick else ''} ===", flush=True)
    started = time.perf_counter()
    try:
        report: Report = importlib.import_module(f"benchmarks.{name}").run(ctx)
    except Exception as exc:
        traceback.print_exc()
        report = Report(name, skipped=f"crashed: {exc}")
    report.data["elapsed_seconds"] = time.perf_counter() - started
    return report


def _print_summary(reports: Sequence[Report], elapsed: float) -> None:
    from benchmarks.common import print_table

    rows: list[list[object]] = []
    for report in reports:
        if report.skipped:
            rows.append(["SKIP", report.name, _first_line(report.skipped), "", ""])
        for check in report.checks:
            verdict = "PASS" if check.passed else "FAIL"
            rows.append([verdict, check.benchmark, check.name, check.value, check.target])
    title = f"summary ({elapsed / 60:.1f} min)"
    print_table(title, ["", "benchmark", "target", "measured", "budget"], rows, left=5)


def _first_line(text: str, width: int = 100) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def _results(ctx: Context, reports: Sequence[Report], started: float) -> dict[str, Any]:
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "quick": ctx.quick,
        "machine": _machine(),
        "benchmarks": {r.name: {"skipped": r.skipped, **r.data} for r in reports},
        "checks": [vars(c) for r in reports for c in r.checks],
    }


def _code_state() -> dict[str, str]:
    """Which repro is measured: the commit, and a digest of the sources as
    they are (uncommitted edits included)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted((root / "repro").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    git = ["git", "-C", str(root)]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "repro"], capture_output=True, text=True
    )
    return {
        "commit": head.strip() or "unknown",
        "sources": digest.hexdigest()[:16],
        "uncommitted": "yes" if dirty.stdout.strip() else "no",
    }


def _describe(code: dict[str, str]) -> str:
    edits = " + uncommitted edits" if code["uncommitted"] == "yes" else ""
    return f"commit {code['commit'][:12]}{edits} (sources {code['sources']})"


def _machine() -> dict[str, Any]:
    import xxhash

    import repro

    return {
        "cpus": os.cpu_count(),
        "memory_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "xxhash": xxhash.VERSION,
        "repro": repro.__version__,
    }


if __name__ == "__main__":
    sys.exit(main())
