"""An unchanged 100,000-file tree: ``repro snapshot`` (stat cache warm) against
``git status`` on the same tree, committed in the Git repository that is also
the repro project. Best of 5, the commands taken in turn. Target: <= 3x.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import Context, Report, interleaved, note, print_table, run_command
from benchmarks.datasets import Dataset, copy_tree, dataset, list_files, warm
from benchmarks.projects import git, git_commit_all, new_repro_project, reset_repro_state

__all__ = ["run"]

RUNS = 5
TARGET = 3.0  # repro / git status, in time
_SUMMARY = re.compile(r"\((\d+) hashed, (\d+) unchanged; (stored|not stored)\)")
_LABELS = {
    "git": "git status (floor)",
    "repro": "repro snapshot data (store)",
    "repro_no_store": "repro snapshot --no-store data",
    "repro_version": "repro --version (startup only)",
    "stat_loop": "os.stat of each file, in-process",
}


def run(ctx: Context) -> Report:
    report = Report("status")
    data = dataset(ctx, "small")
    repo = _status_repo(ctx, data)
    _prime(ctx, repo, data)
    seconds = interleaved(RUNS, _actions(ctx, repo, data))
    _print(data, seconds)
    ratio = min(seconds["repro"]) / min(seconds["git"])
    report.data = {
        "dataset": data.describe(),
        "seconds": seconds,
        "vs_git": {key: min(runs) / min(seconds["git"]) for key, runs in seconds.items()},
        "git_version": run_command(["git", "--version"]).strip(),
    }
    report.check(
        f"unchanged {data.files:,} files: repro snapshot vs git status",
        f"{ratio:.2f}x git status",
        f"<= {TARGET:.0f}x git status",
        ratio <= TARGET,
    )
    return report


def _status_repo(ctx: Context, data: Dataset) -> Path:
    """The Git repository + repro project holding ``data/``, committed;
    reused while its marker matches and ``git status`` says it is clean."""
    repo = ctx.work / "status-repo"
    marker = ctx.work / "status-repo.done"
    spec = json.dumps(data.describe(), sort_keys=True)
    if marker.exists() and marker.read_text() == spec and _clean(repo):
        return repo
    note(f"building the status repository (copy and commit {data.files:,} files)")
    marker.unlink(missing_ok=True)
    new_repro_project(ctx, repo)
    copy_tree(data.path, repo / "data")
    git_commit_all(repo, "benchmark data")
    marker.write_text(spec)
    return repo


def _clean(repo: Path) -> bool:
    try:
        return git(repo, "status", "--porcelain") == ""
    except (OSError, RuntimeError):
        return False


def _prime(ctx: Context, repo: Path, data: Dataset) -> None:
    """Warm the page cache, Git's index and repro's stat cache and store (a
    first, untimed snapshot), then check that repro now reuses every file."""
    note("warming the page cache, the Git index and repro's stat cache")
    warm(list_files(repo / "data"))
    git(repo, "status")
    reset_repro_state(repo)
    first = _summary(run_command([ctx.repro, "snapshot", "data"], cwd=repo))
    second = _summary(run_command([ctx.repro, "snapshot", "data"], cwd=repo))
    if first[0] != data.files or second != (0, data.files):
        raise RuntimeError(f"stat cache not effective: first run {first}, second run {second}")


def _summary(out: str) -> tuple[int, int]:
    """(hashed, unchanged) from the one-line output of ``repro snapshot``."""
    match = _SUMMARY.search(out)
    if match is None:
        raise RuntimeError(f"unexpected repro snapshot output: {out.strip()!r}")
    return int(match.group(1)), int(match.group(2))


def _actions(ctx: Context, repo: Path, data: Dataset) -> dict[str, Callable[[], object]]:
    paths = list_files(repo / "data")

    def expect_unchanged(argv: list[str]) -> Callable[[], object]:
        def action() -> None:
            if _summary(run_command(argv, cwd=repo)) != (0, data.files):
                raise RuntimeError(f"{' '.join(argv)} did not reuse every file")

        return action

    return {
        "git": lambda: run_command(["git", "status"], cwd=repo),
        "repro": expect_unchanged([ctx.repro, "snapshot", "data"]),
        "repro_no_store": expect_unchanged([ctx.repro, "snapshot", "--no-store", "data"]),
        "repro_version": lambda: run_command([ctx.repro, "--version"], cwd=repo),
        "stat_loop": lambda: [os.stat(path) for path in paths],
    }


def _print(data: Dataset, seconds: dict[str, list[float]]) -> None:
    git_best = min(seconds["git"])
    rows = [
        [_LABELS[key], min(runs), max(runs), f"{min(runs) / git_best:.2f}x"]
        for key, runs in seconds.items()
    ]
    title = f"status: unchanged tree of {data.files:,} files, best of {RUNS} (lower is faster)"
    print_table(title, ["what", "best s", "worst s", "vs git status"], rows)
