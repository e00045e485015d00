"""A run whose every step is cached under exactly the locked run's pins is
a no-op: it records no run, rewrites no lock, and says "up to date" with
the locked run's id, on the slow path (a default the fast path cannot
judge) as on the fast one. A tagged run and a replay are recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_testing import cli, commit_all, dedent, run_json

PIPELINE = dedent(
    """
    from repro import pipeline, sh, step

    @step
    def scale(n: int) -> int:
        return n * 10

    @pipeline
    def p(n: int = len("abc")) -> None:  # not a literal: the slow path judges
        sh("echo hi > out.txt", name="shell", outs=["out.txt"])
        scale(n)
    """
)


def recorded(root: Path) -> set[str]:
    return {path.stem for path in (root / ".repro" / "runs").glob("*.json")}


@pytest.fixture
def root(git_repo: Path) -> Path:
    (git_repo / "pipeline.py").write_text(PIPELINE)
    (git_repo / ".gitignore").write_text("out.txt\n")
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "pipeline")
    first = run_json(git_repo, "pipeline.py:p")
    assert first["status"] == "succeeded"
    commit_all(git_repo, "run")
    return git_repo


def test_an_all_cached_run_records_nothing(root: Path) -> None:
    before = recorded(root)
    lock = (root / "repro.lock").read_bytes()
    locked_run = run_json(root, "pipeline.py:p")
    assert locked_run["status"] == "up-to-date"
    assert [s["status"] for s in locked_run["steps"]] == ["cached", "cached"]
    assert recorded(root) == before and locked_run["run"] in before
    assert (root / "repro.lock").read_bytes() == lock
    assert not list((root / ".repro" / "runs").glob("*.journal"))
    text = cli(root, "run", "pipeline.py:p")
    assert text.out.count("cached   shell") == 1, text.out  # said once, as it was found
    assert text.out.endswith(f"p: up to date, 2 steps cached (run {locked_run['run']})\n")


def test_other_params_are_a_new_run(root: Path) -> None:
    before = recorded(root)
    doc = run_json(root, "pipeline.py:p", "-p", "n=4")
    assert doc["status"] == "succeeded" and doc["run"] not in before


def test_a_tagged_run_and_a_replay_are_recorded(root: Path) -> None:
    before = recorded(root)
    tagged = run_json(root, "pipeline.py:p", "--tag", "why=asked")
    assert tagged["status"] == "succeeded" and tagged["run"] not in before
    replay = cli(root, "replay", tagged["run"], "--json")
    assert replay.code == 0, replay
    assert len(recorded(root)) == len(before) + 2


def test_a_run_that_differs_only_in_a_restored_out_records_nothing(root: Path) -> None:
    # The out is put back from the store: the locked run still stands.
    (root / "out.txt").unlink()
    before = recorded(root)
    assert run_json(root, "pipeline.py:p")["status"] == "up-to-date"
    assert (root / "out.txt").read_text() == "hi\n"
    assert recorded(root) == before
