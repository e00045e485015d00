"""--jobs: independent steps run at the same time on the local backend."""

from __future__ import annotations

import datetime
from pathlib import Path

from pipeline_testing import cli, commit_all, dedent, run_json

PARALLEL = dedent("""
    import time

    from repro import pipeline, step


    @step
    def left() -> int:
        time.sleep(1.0)
        return 1


    @step
    def right() -> int:
        time.sleep(1.0)
        return 2


    @step
    def join(a: int, b: int) -> int:
        return a + b


    @pipeline
    def fan() -> None:
        join(left(), right())
""")


def _interval(step: dict) -> tuple[float, float]:
    start = datetime.datetime.fromisoformat(step["started"]).timestamp()
    return start, start + step["duration"]


def _steps(root: Path, jobs: str) -> dict:
    run = run_json(root, "fan.py:fan", "--no-cache", "--jobs", jobs)["run"]
    return cli(root, "runs", "show", run, "--json").json()["steps"]


def test_independent_steps_overlap_with_two_jobs(git_repo: Path) -> None:
    (git_repo / "fan.py").write_text(PARALLEL)
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "fan")
    steps = _steps(git_repo, "2")
    left, right = _interval(steps["left"]), _interval(steps["right"])
    assert max(left[0], right[0]) < min(left[1], right[1])  # they overlapped
    assert _interval(steps["join"])[0] >= max(left[1], right[1]) - 0.01


def test_one_job_runs_them_one_after_the_other(git_repo: Path) -> None:
    (git_repo / "fan.py").write_text(PARALLEL)
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "fan")
    steps = _steps(git_repo, "1")
    left, right = _interval(steps["left"]), _interval(steps["right"])
    assert max(left[0], right[0]) >= min(left[1], right[1]) - 0.01
