"""What every benchmark shares: the run context, timing, commands, tables,
and the report a benchmark hands back (figures for the JSON, checks for the
summary)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BENCH_DIR",
    "DATA_DIR",
    "Check",
    "CommandError",
    "Context",
    "Report",
    "best_of",
    "fresh_dir",
    "interleaved",
    "mb_per_s",
    "note",
    "print_table",
    "run_command",
    "time_command",
    "timed",
]

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
QUICK_SCALE = 10
# Commits in the benchmark repositories must not depend on the user's Git setup.
GIT_IDENTITY = ("-c", "user.name=repro-bench", "-c", "user.email=bench@repro.invalid")
GIT_QUIET = ("-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main")


@dataclass(frozen=True)
class Context:
    """One run of the benchmarks: full size, or ``quick`` (10x smaller data)."""

    quick: bool

    @property
    def scale(self) -> int:
        return QUICK_SCALE if self.quick else 1

    @property
    def root(self) -> Path:
        """Everything this run generates: datasets and scratch projects."""
        return DATA_DIR / ("quick" if self.quick else "full")

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def python(self) -> str:
        return sys.executable

    @property
    def repro(self) -> str:
        """The ``repro`` command of the interpreter running the benchmarks."""
        return str(Path(sys.executable).parent / "repro")


@dataclass(frozen=True)
class Check:
    """One target of the performance budget, and whether this run met it."""

    benchmark: str
    name: str
    value: str
    target: str
    passed: bool


@dataclass
class Report:
    """What a benchmark hands back: raw figures (JSON) and pass/fail checks."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    skipped: str | None = None

    def check(self, name: str, value: str, target: str, passed: bool) -> None:
        self.checks.append(Check(self.name, name, value, target, passed))


class CommandError(RuntimeError):
    def __init__(self, argv: Sequence[str], code: int, stderr: str) -> None:
        self.argv = list(argv)
        self.code = code
        self.stderr = stderr
        tail = stderr.strip().splitlines()[-5:]
        super().__init__(f"{' '.join(argv)} exited {code}: {' | '.join(tail)}")


def run_command(
    argv: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> str:
    """Run ``argv``, return its stdout; a non-zero exit raises ``CommandError``."""
    done = subprocess.run(
        list(argv),
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CommandError(argv, done.returncode, done.stderr)
    return done.stdout


def time_command(
    argv: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[float, str]:
    """Seconds taken by ``argv`` (process start to exit), and its stdout."""
    started = time.perf_counter()
    out = run_command(argv, cwd, env)
    return time.perf_counter() - started, out


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def best_of(
    runs: int, action: Callable[[], object], prepare: Callable[[], object] | None = None
) -> list[float]:
    """Seconds of each of ``runs`` calls of ``action`` (``prepare`` untimed
    before each, then a sync so no earlier write-back lands in the timing)."""
    seconds = []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        os.sync()
        seconds.append(timed(action))
    return seconds


def interleaved(runs: int, actions: Mapping[str, Callable[[], object]]) -> dict[str, list[float]]:
    """Seconds of ``runs`` rounds of every action, taken in turn, so that a
    slow spell of a noisy machine hits all of them alike."""
    seconds: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            os.sync()
            seconds[name].append(timed(action))
    return seconds


def fresh_dir(path: Path) -> Path:
    """``path`` as a new empty folder (store objects are read-only files,
    which is no obstacle to removing them on POSIX)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def mb_per_s(size: int, seconds: float) -> float:
    return size / seconds / 1e6


def print_table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1
) -> None:
    """A plain-text table (log-friendly: no colours, no box drawing); the
    first ``left`` columns are text, the others figures (right-aligned)."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    print(f"\n{title}")
    for line in (list(headers), ["-" * w for w in widths], *cells):
        padded = (
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        print("  ".join(padded).rstrip())
    sys.stdout.flush()


def _cell(value: object) -> str:
    if not isinstance(value, float):
        return str(value)
    if abs(value) < 10:
        return f"{value:.3f}"
    if abs(value) < 1000:
        return f"{value:.1f}"
    return f"{value:.0f}"


def note(text: str) -> None:
    """A progress line, so a long run shows what it is doing."""
    print(f"  .. {text}", flush=True)
