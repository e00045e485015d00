"""post-checkout and post-merge: switching branches (or commits, detached)
puts in place the data that branch's lock pins, from the local cache; a
file whose content is not stored is kept and reported; nothing happens
during a rebase or on a checkout of files."""

from __future__ import annotations

from pathlib import Path

from githooks_testing import ROWS_A, ROWS_B, git_try
from pipeline_testing import commit_all
from repro_testing import git

from repro.githooks.hooks import run_hook


def _rows(root: Path) -> str:
    return (root / "data/rows.csv").read_text()


def test_checking_out_a_branch_restores_its_pinned_data(branches: Path) -> None:
    switched = git_try(branches, "checkout", "-q", "b")
    assert switched.returncode == 0, switched.stderr
    assert _rows(branches) == ROWS_B
    assert "repro post-checkout: restored data/rows.csv" in switched.stderr
    git(branches, "checkout", "-q", "main")
    assert _rows(branches) == ROWS_A


def test_data_already_in_place_is_left_as_it_is(branches: Path) -> None:
    git(branches, "checkout", "-q", "b")
    before = (branches / "data/rows.csv").stat()
    again = git_try(branches, "checkout", "-q", "-B", "c")  # same commit, same pins
    assert again.returncode == 0 and again.stderr == ""
    assert (branches / "data/rows.csv").stat().st_ino == before.st_ino


def test_a_detached_head_checks_out_the_commit_s_data(branches: Path) -> None:
    git(branches, "checkout", "-q", "--detach", "b")
    assert _rows(branches) == ROWS_B


def test_a_merge_checks_out_the_merged_lock_s_data(branches: Path) -> None:
    merged = git_try(branches, "merge", "-q", "--ff-only", "b")
    assert merged.returncode == 0, merged.stderr
    assert _rows(branches) == ROWS_B


def test_a_changed_file_not_stored_is_kept_and_reported(branches: Path) -> None:
    (branches / "data/rows.csv").write_text("value\n99\n")
    switched = git_try(branches, "checkout", "-q", "b")
    assert switched.returncode == 0, switched.stderr
    assert _rows(branches) == "value\n99\n"
    assert "kept data/rows.csv: it differs from the snapshot repro.lock pins" in switched.stderr


def test_a_checkout_of_files_leaves_data_alone(branches: Path) -> None:
    (branches / "data/rows.csv").write_text(ROWS_B)  # stored: B's run snapshotted it
    git(branches, "checkout", "-q", "b", "--", "flow.py")
    assert _rows(branches) == ROWS_B


def test_nothing_is_checked_out_during_a_rebase(branches: Path) -> None:
    git(branches, "checkout", "-q", "-b", "topic")
    (branches / "unrelated.py").write_text("X = 1\n")
    commit_all(branches, "topic")
    rebased = git_try(branches, "rebase", "-q", "b")
    assert rebased.returncode == 0, rebased.stderr
    assert _rows(branches) == ROWS_A  # Git checked out b's commit on the way


def test_a_rebase_in_progress_is_detected(branches: Path) -> None:
    (branches / ".git/rebase-merge").mkdir()
    report = run_hook("post-merge", ["0"], "", str(branches), {})
    assert report.notes == []
    (branches / ".git/rebase-merge").rmdir()
    git(branches, "checkout", "-q", "--detach", "b")  # ... while Git's own checkout would
    assert _rows(branches) == ROWS_B


def test_the_reflog_action_of_a_rebase_is_enough(branches: Path) -> None:
    (branches / "repro.lock").write_text(git(branches, "show", "b:repro.lock"))
    report = run_hook("post-merge", ["0"], "", str(branches), {"GIT_REFLOG_ACTION": "rebase"})
    assert report.notes == [] and _rows(branches) == ROWS_A
    report = run_hook("post-merge", ["0"], "", str(branches), {})
    assert report.notes == ["repro post-merge: restored data/rows.csv"]


def test_outside_a_repro_project_the_hook_passes_with_a_note(git_repo: Path) -> None:
    report = run_hook("post-checkout", ["a", "b", "1"], "", str(git_repo), {})
    assert report.notes == ["repro post-checkout: not a repro project here; nothing to do"]
