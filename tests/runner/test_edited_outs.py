"""A declared out edited by hand: `status` says "out X modified" and is
stale, `--frozen` fails, `run` executes the step again (not silently
restoring the stored file) and keeps the edited bytes in the store, saying
where. An out that is absent, or holds what another run produced, is
restored as before: that loses nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pipeline_testing import cli, commit_all, dedent, run_json, statuses

PIPELINE = dedent(
    """
    from repro import pipeline, sh

    @pipeline
    def p(text: str = "model") -> None:
        sh(f"echo {text} > model.pkl", name="train", outs=["model.pkl"])
        sh("cat model.pkl > report.txt", name="report", outs=["report.txt"], deps=["model.pkl"])
    """
)


def assert_fresh(root: Path) -> None:
    status = cli(root, "status", "pipeline.py:p")
    assert status.code == 0
    assert status.out.startswith("p: fresh\n") and "stale" not in status.out, status.out


@pytest.fixture
def root(git_repo: Path) -> Path:
    (git_repo / "pipeline.py").write_text(PIPELINE)
    (git_repo / ".gitignore").write_text("model.pkl\nreport.txt\n")
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "pipeline")
    run_json(git_repo, "pipeline.py:p")
    commit_all(git_repo, "run")
    return git_repo


def test_status_names_the_edited_out_and_frozen_fails(root: Path) -> None:
    (root / "model.pkl").write_text("edited by hand\n")
    status = cli(root, "status", "pipeline.py:p")
    assert status.code == 0
    assert "stale    train: out model.pkl modified" in status.out
    frozen = cli(root, "run", "pipeline.py:p", "--frozen")
    assert frozen.code == 1
    assert "out model.pkl modified" in frozen.out
    assert (root / "model.pkl").read_text() == "edited by hand\n"


def test_run_executes_the_step_again_and_keeps_the_edit(root: Path) -> None:
    (root / "model.pkl").write_text("edited by hand\n")
    done = cli(root, "run", "pipeline.py:p")
    assert done.code == 0, done
    line = next(line for line in done.out.splitlines() if "train" in line)
    assert line.startswith("  executed train")
    kept = re.search(
        r"out model\.pkl modified; the previous model\.pkl is kept as tree (\w+)", line
    )
    assert kept, done.out
    assert (root / "model.pkl").read_text() == "model\n"
    # The step made the same model again: what follows it is cached.
    assert "  cached   report" in done.out
    restored = cli(root, "checkout", kept.group(1), "kept")
    assert restored.code == 0, restored
    assert (root / "kept" / "model.pkl").read_text() == "edited by hand\n"
    assert_fresh(root)


def test_an_absent_out_is_restored_not_re_executed(root: Path) -> None:
    (root / "model.pkl").unlink()
    assert_fresh(root)
    doc = run_json(root, "pipeline.py:p")
    assert statuses(doc) == {"train": "cached", "report": "cached"}
    assert (root / "model.pkl").read_text() == "model\n"


def test_an_out_another_run_made_is_restored_not_re_executed(root: Path) -> None:
    other = run_json(root, "pipeline.py:p", "-p", "text=other")
    assert statuses(other) == {"train": "executed", "report": "executed"}
    assert (root / "model.pkl").read_text() == "other\n"
    # Back to the locked run's params: the work tree holds the other run's
    # model, a result repro made, so the cached one is put back.
    doc = run_json(root, "pipeline.py:p")
    assert statuses(doc) == {"train": "cached", "report": "cached"}
    assert (root / "model.pkl").read_text() == "model\n"
