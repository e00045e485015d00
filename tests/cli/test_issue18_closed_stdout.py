"""A reader that has gone (``repro run | head -0``, ``| head -1``) changes
nothing repro does: what it could not print is dropped, the run is recorded
with its true status, the exit status is the command's own, and there is no
traceback. Every test writes into a real pipe whose read end is closed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_testing import cli, commit_all, dedent, edit, make_flow_project, run_json

from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex


@pytest.fixture
def flow(git_repo: Path) -> Path:
    return make_flow_project(git_repo)


def _environ(*, unbuffered: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REPRO_DEBUG", "PYTHONUNBUFFERED")}
    # Unbuffered, every line meets the closed pipe at once; buffered (a
    # user's default), only the flush when repro exits does.
    return env | ({"PYTHONUNBUFFERED": "1"} if unbuffered else {})


def into_closed_pipe(
    cwd: Path, *args: str, unbuffered: bool = True
) -> subprocess.CompletedProcess[str]:
    """``repro ARGS | head -0``: the reader is gone before repro prints."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "repro", *args],
            cwd=cwd,
            env=_environ(unbuffered=unbuffered),
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


def latest_run(cwd: Path) -> RunRecord:
    index = RunIndex(str(cwd / ".repro"))
    return index.load(index.ids()[-1])


def step_statuses(record: RunRecord) -> dict[str, str]:
    return {name: step.status for name, step in record.steps.items()}


@pytest.mark.parametrize("unbuffered", [True, False], ids=["unbuffered", "buffered"])
def test_a_run_into_a_closed_pipe_is_recorded_as_it_went(flow: Path, unbuffered: bool) -> None:
    done = into_closed_pipe(flow, "run", "flow", "--no-cache", unbuffered=unbuffered)
    assert (done.returncode, done.stderr) == (0, "")
    record = latest_run(flow)
    assert record.status == "succeeded"
    assert step_statuses(record) == {
        "load": "executed",
        "transform": "executed",
        "total": "executed",
        "describe": "executed",
    }


def test_a_failed_run_into_a_closed_pipe_still_fails(flow: Path) -> None:
    edit(flow / "helpers.py", "return value * factor", "raise ValueError('bad row')")
    done = into_closed_pipe(flow, "run", "flow")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "bad row" in done.stderr  # the failed step's line goes to stderr, still open
    record = latest_run(flow)
    assert record.status == "failed"
    assert step_statuses(record)["transform"] == "failed"


WAITS_THEN_PRINTS = dedent(
    """
    import os
    import time

    from repro import pipeline, step


    @step
    def first() -> int:
        return 1


    @step
    def second(value: int) -> int:
        while not os.path.exists("go"):
            time.sleep(0.05)
        for epoch in range(20000):  # far more than a pipe holds
            print("epoch", epoch)
        return value + 1


    @pipeline
    def p() -> None:
        second(first())
    """
)


def test_a_reader_leaving_mid_run_changes_nothing(git_repo: Path) -> None:
    """``repro run | head -1``: the steps' prints and repro's own lines
    after the reader left are dropped, the run goes on to its end."""
    (git_repo / "p.py").write_text(WAITS_THEN_PRINTS)
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "project")
    repro = subprocess.Popen(
        [sys.executable, "-m", "repro", "run", "p.py:p"],
        cwd=git_repo,
        env=_environ(unbuffered=True),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert repro.stdout is not None and repro.stderr is not None
    assert repro.stdout.readline().split()[:2] == ["executed", "first"]
    repro.stdout.close()
    (git_repo / "go").touch()
    assert repro.wait(timeout=120) == 0
    assert repro.stderr.read() == ""
    record = latest_run(git_repo)
    assert record.status == "succeeded"
    assert step_statuses(record) == {"first": "executed", "second": "executed"}


def test_a_replay_into_a_closed_pipe_is_verified_and_recorded(flow: Path) -> None:
    first = run_json(flow)
    done = into_closed_pipe(flow, "replay", first["run"], "--verify")
    assert (done.returncode, done.stderr) == (0, "")
    record = latest_run(flow)
    assert record.replay_of == first["run"]
    assert record.verification is not None
    assert record.verification.verdict == "identical"


def test_queries_into_a_closed_pipe_exit_0_silently(flow: Path) -> None:
    run_json(flow)
    commit_all(flow, "lock")
    # One project for the four: each is a separate process all the same.
    for args in (["run"], ["runs", "list"], ["runs", "list", "--json"], ["status"]):
        done = into_closed_pipe(flow, *args)
        assert (done.returncode, done.stderr) == (0, ""), args


def test_stdout_closed_altogether_prints_into_no_file(flow: Path) -> None:
    """``repro run >&-``: the first file repro opens must not take fd 1."""
    done = subprocess.run(
        [sys.executable, "-m", "repro", "run", "flow"],
        cwd=flow,
        env=_environ(unbuffered=True),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert latest_run(flow).status == "succeeded"
