"""Orchestration overhead, peak memory and the no-op run.

- A chain of 100 trivial steps (each adds one to its input), run in this
  process through the runner, executed (cache off) and fully cached (the
  slow path: the pipeline module imported, every key computed and looked
  up). Beside it, in the same run, a plain Python loop doing the same work:
  each function called and its result written to a file. Overhead per step
  = (repro - loop) / steps. Budgets: 10 ms per executed step, 2 ms per
  cached step.
- Peak RSS of `repro run --no-cache` of a 50-step chain: < 120 MiB.
- A no-op `repro run` of examples/quickstart (nothing changed): < 0.3 s,
  beside `git status` and `python -c pass` timed in the same rounds.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import (
    GIT_IDENTITY,
    REPO_ROOT,
    Context,
    Report,
    interleaved,
    note,
    print_table,
    run_command,
)
from benchmarks.projects import new_git_repo

__all__ = ["run"]

EXECUTED_BUDGET_MS = 10.0
CACHED_BUDGET_MS = 2.0
MEMORY_BUDGET_MIB = 120
NO_OP_BUDGET_S = 0.3
_WRAPPER = """\
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def chain_source(steps: int) -> str:
    lines = ["from repro import pipeline, step", ""]
    for index in range(steps):
        lines += ["@step", f"def s{index}(x: int) -> int:", "    return x + 1", ""]
    lines += ["@pipeline", "def chain(start: int = 0) -> None:", "    value = start"]
    lines += [f"    value = s{index}(value)" for index in range(steps)]
    return "\n".join(lines) + "\n"


def make_chain_project(path: Path, steps: int) -> Path:
    project = new_git_repo(path)
    (project / "chain.py").write_text(chain_source(steps))
    run_command([sys.executable, "-m", "repro", "init"], cwd=project)
    run_command(["git", *GIT_IDENTITY, "add", "-A"], cwd=project)
    run_command(["git", *GIT_IDENTITY, "commit", "-q", "-m", "chain"], cwd=project)
    return project


def run(ctx: Context) -> Report:
    report = Report("pipelines")
    steps = 100 if not ctx.quick else 20
    rounds = 5 if not ctx.quick else 2
    _overhead(ctx, report, steps, rounds)
    _memory(ctx, report)
    _no_op(ctx, report, rounds=7 if not ctx.quick else 3)
    return report


def _overhead(ctx: Context, report: Report, steps: int, rounds: int) -> None:
    from repro.project import Project
    from repro.runner.run import RunOptions, run_target
    from repro.runner.targets import Target

    project_dir = make_chain_project(ctx.work / "chain-project", steps)
    project = Project(str(project_dir))
    target = Target("chain.py", "chain")
    out = Path(tempfile.mkdtemp(prefix="plain-loop-", dir=ctx.work))
    funcs = [lambda x: x + 1 for _ in range(steps)]

    def plain() -> None:
        value = 0
        for index, func in enumerate(funcs):
            value = func(value)
            (out / f"s{index}.json").write_text(json.dumps(value))

    def executed() -> None:
        outcome = run_target(project, target, RunOptions(jobs=1, use_cache=False))
        assert outcome.ok

    def cached() -> None:
        outcome = run_target(project, target, RunOptions(jobs=1))
        assert outcome.ok and all(e.status == "cached" for e in outcome.events)

    note(f"{steps}-step chain, in process: warm-up")
    executed()
    cached()
    note(f"{steps}-step chain: {rounds} interleaved rounds")
    seconds = interleaved(rounds, {"plain": plain, "executed": executed, "cached": cached})
    median = {name: statistics.median(values) for name, values in seconds.items()}
    per_step = {name: value / steps * 1000 for name, value in median.items()}
    over = {
        name: (median[name] - median["plain"]) / steps * 1000 for name in ("executed", "cached")
    }
    rows = [
        ["plain loop (call + file write)", median["plain"], per_step["plain"], "", ""],
        [
            "repro, executed (cache off)",
            median["executed"],
            per_step["executed"],
            over["executed"],
            median["executed"] / median["plain"],
        ],
        [
            "repro, all cached (slow path)",
            median["cached"],
            per_step["cached"],
            over["cached"],
            median["cached"] / median["plain"],
        ],
    ]
    print_table(
        f"{steps}-step chain of trivial steps, median of {rounds}",
        ["", "seconds", "ms/step", "overhead ms/step", "x plain"],
        rows,
    )
    shutil.rmtree(out, ignore_errors=True)
    report.data["chain"] = {
        "steps": steps,
        "rounds": rounds,
        "seconds": seconds,
        "overhead_ms_per_step": over,
    }
    report.check(
        "overhead per executed step (100-step chain)",
        f"{over['executed']:.2f} ms",
        f"< {EXECUTED_BUDGET_MS:.0f} ms",
        over["executed"] < EXECUTED_BUDGET_MS,
    )
    report.check(
        "overhead per cached step (100-step chain)",
        f"{over['cached']:.2f} ms",
        f"< {CACHED_BUDGET_MS:.0f} ms",
        over["cached"] < CACHED_BUDGET_MS,
    )


def _peak_mib(argv: list[str], cwd: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *argv], cwd=cwd, capture_output=True, text=True, check=True
    )
    max_rss_kib, code = done.stdout.split()
    if code != "0":
        raise RuntimeError(f"{' '.join(argv)} exited {code}")
    return int(max_rss_kib) / 1024


def _memory(ctx: Context, report: Report) -> None:
    project = make_chain_project(ctx.work / "chain50-project", 50)
    note("peak memory: repro run --no-cache of a 50-step chain")
    floor = _peak_mib([ctx.repro, "--version"], project)
    peak = max(
        _peak_mib([ctx.repro, "run", "chain.py:chain", "--no-cache"], project) for _ in range(3)
    )
    print_table(
        "peak RSS, 50-step chain",
        ["", "MiB"],
        [["repro --version (floor)", floor], ["repro run --no-cache", peak]],
    )
    report.data["memory"] = {"floor_mib": floor, "run_mib": peak}
    report.check(
        "peak RSS, repro run of a 50-step chain",
        f"{peak:.0f} MiB",
        f"< {MEMORY_BUDGET_MIB} MiB",
        peak < MEMORY_BUDGET_MIB,
    )


def _no_op(ctx: Context, report: Report, rounds: int) -> None:
    work = ctx.work / "quickstart-noop"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(
        REPO_ROOT / "examples" / "quickstart",
        work,
        ignore=shutil.ignore_patterns(
            "demo.sh", "repro.lock", "__pycache__", "cache", "runs", "steps", "tmp", "outputs"
        ),
    )
    run_command(["git", "init", "-q", "-b", "main"], cwd=work)
    run_command(["git", *GIT_IDENTITY, "add", "-A"], cwd=work)
    run_command(["git", *GIT_IDENTITY, "commit", "-q", "-m", "quickstart"], cwd=work)
    note("quickstart: first run (executes every step)")
    run_command([ctx.repro, "run"], cwd=work)
    # As on a user's machine: bytecode cached (some shells here disable it,
    # which costs every start-up the compilation of repro's modules).
    env = {
        k: v for k, v in os.environ.items() if k not in ("REPRO_DEBUG", "PYTHONDONTWRITEBYTECODE")
    }

    def command(argv: list[str]) -> object:
        def call() -> None:
            done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            if argv[-1] == "run":
                assert "up to date" in done.stdout, done.stdout

        return call

    command([ctx.repro, "run"])()  # writes the bytecode caches
    note(f"no-op repro run: {rounds} interleaved rounds")
    seconds = interleaved(
        rounds,
        {
            "repro run (no-op)": command([ctx.repro, "run"]),
            "git status": command(["git", "status", "--short"]),
            "python -c pass": command([sys.executable, "-c", "pass"]),
        },
    )
    median = {name: statistics.median(values) for name, values in seconds.items()}
    noop = median["repro run (no-op)"]
    rows = [[name, value, value / median["git status"]] for name, value in median.items()]
    print_table(
        f"no-op run of the quickstart, median of {rounds}", ["", "seconds", "x git status"], rows
    )
    report.data["no_op"] = {"seconds": seconds}
    report.check(
        "no-op repro run of the quickstart",
        f"{noop:.3f} s",
        f"< {NO_OP_BUDGET_S} s",
        noop < NO_OP_BUDGET_S,
    )
