"""A run killed before its record (``kill -9``) is listed as interrupted by
``repro runs list`` and cleaned up by ``repro gc``; a run in progress is
neither listed as interrupted nor touched by gc. Real processes, real
signals: a run's process holds its journal while it lives, and the kernel
lets go of it when the process is killed."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pipeline_testing import cli, commit_all, dedent, run_json, start_repro, wait_for

# ``second`` waits at the gate while REPRO_TEST_GATE names a folder without
# a ``go`` file in it: the test decides when (or whether) the run goes on.
GATED = dedent("""
    import os
    import time
    from pathlib import Path

    from repro import pipeline, step


    @step
    def first() -> int:
        return 1


    @step
    def second(value: int) -> int:
        gate = os.environ.get("REPRO_TEST_GATE")
        if gate:
            Path(gate, "started").write_text("yes")
            while not Path(gate, "go").exists():
                time.sleep(0.05)
        return value + 1


    @step
    def third(value: int) -> int:
        return value + 1


    @pipeline
    def gated() -> None:
        third(second(first()))
""")


def _ok(result: Any) -> Any:
    assert result.code == 0, result
    return result


@pytest.fixture
def gated(flow: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The flow project with the gated pipeline committed; the gate is
    shut for every ``repro`` started from now on."""
    (flow / "gated.py").write_text(GATED)
    commit_all(flow, "gated pipeline")
    gate = tmp_path / "gate"
    gate.mkdir()
    monkeypatch.setenv("REPRO_TEST_GATE", str(gate))
    return gate


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """The processes a test starts: none outlives it, whatever fails."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def _start_and_wait(
    started: list[subprocess.Popen[str]], project: Path, gate: Path, *args: str
) -> subprocess.Popen[str]:
    """A real ``repro`` process held at the gate, its first step finished
    (so its journal exists)."""
    process = start_repro(project, *args)
    started.append(process)
    wait_for(gate / "started")
    journals = list((project / ".repro/runs").glob("*.journal"))
    assert len(journals) == 1, journals
    return process


def _kill_9(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _interrupted(project: Path, *filters: str) -> list[dict[str, Any]]:
    listed = _ok(cli(project, "runs", "list", "--status", "interrupted", "--json", *filters))
    rows: list[dict[str, Any]] = listed.json()
    return rows


def test_a_run_killed_mid_run_is_listed_as_interrupted(
    flow: Path, gated: Path, started: list[subprocess.Popen[str]]
) -> None:
    _kill_9(_start_and_wait(started, flow, gated, "run", "gated.py:gated"))
    killed = next((flow / ".repro/runs").glob("*.journal")).stem
    rows = _interrupted(flow)
    assert [(row["id"], row["pipeline"], row["status"]) for row in rows] == [
        (killed, "gated", "interrupted")
    ]
    assert rows[0]["created"].startswith("20") and rows[0]["commit"] is None
    assert [row["id"] for row in _interrupted(flow, "--pipeline", "gated")] == [killed]
    assert _interrupted(flow, "--pipeline", "flow") == []
    assert _interrupted(flow, "--tag", "team=ml") == []  # unknown for a killed run
    text = _ok(cli(flow, "runs", "list")).out
    assert f"{killed}  " in text and "interrupted" in text
    succeeded = _ok(cli(flow, "runs", "list", "--status", "succeeded", "--json")).json()
    assert succeeded == []


def test_gc_removes_what_a_killed_run_left(
    flow: Path, gated: Path, started: list[subprocess.Popen[str]]
) -> None:
    _kill_9(_start_and_wait(started, flow, gated, "run", "gated.py:gated"))
    runs = flow / ".repro/runs"
    killed = next(runs.glob("*.journal")).stem
    assert (runs / f"{killed}.spec").exists()
    kept = _ok(cli(flow, "gc", "--json")).json()  # the default grace: killed just now
    assert kept["killed_runs_removed"] == [] and killed in kept["kept_runs"]
    dry = _ok(cli(flow, "gc", "--grace", "0", "--dry-run", "--json")).json()
    assert dry["killed_runs_removed"] == [killed] and (runs / f"{killed}.journal").exists()
    done = _ok(cli(flow, "gc", "--grace", "0"))
    assert f"removed what 1 killed run left: {killed}" in done.out
    assert not (runs / f"{killed}.journal").exists() and not (runs / f"{killed}.spec").exists()
    assert _interrupted(flow) == []
    _ok(cli(flow, "fsck"))
    (gated / "go").write_text("")
    doc = run_json(flow, "gated.py:gated")
    assert doc["status"] == "succeeded"


def test_a_replay_in_progress_is_neither_interrupted_nor_collected(
    flow: Path, gated: Path, started: list[subprocess.Popen[str]]
) -> None:
    (gated / "go").write_text("")
    original = run_json(flow, "gated.py:gated")["run"]
    commit_all(flow, "lock")
    for name in ("go", "started"):
        (gated / name).unlink()
    # A replay does not hold the project's run lock: gc runs beside it.
    process = _start_and_wait(started, flow, gated, "replay", original, "--verify", "--json")
    try:
        replaying = next((flow / ".repro/runs").glob("*.journal")).stem
        assert _interrupted(flow) == []
        collected = _ok(cli(flow, "gc", "--grace", "0", "--json")).json()
        assert collected["killed_runs_removed"] == []
        assert replaying in collected["kept_runs"]
        assert (flow / f".repro/runs/{replaying}.journal").exists()
    finally:
        (gated / "go").write_text("")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert '"verdict": "identical"' in out
    assert _interrupted(flow) == []
