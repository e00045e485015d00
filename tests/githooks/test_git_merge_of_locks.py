"""Real ``git merge`` of branches that both changed repro.lock, with the
merge driver installed: independent pipelines merge cleanly; the same
pipeline changed on both sides is a conflict that ``repro run`` resolves;
a corrupt lock on one side is a conflict that loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from githooks_testing import add_other_pipeline, copy_repo, git_try, install, run_ok
from pipeline_testing import cli, commit_all, edit, make_flow_project
from repro_testing import git

from repro.lineage.lock import parse_lock


def _lock(root: Path) -> dict[str, str]:
    lock = parse_lock((root / "repro.lock").read_text())
    return {name: entry.run for name, entry in lock.pipelines.items()}


@pytest.fixture(scope="module")
def base_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both pipelines run and committed, the driver installed."""
    root = tmp_path_factory.mktemp("merges") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root, commit=False)
    add_other_pipeline(root)
    commit_all(root, "two pipelines")
    run_ok(root)
    install(root)
    commit_all(root, "base: both pipelines run")
    return root


@pytest.fixture
def base(base_template: Path, tmp_path: Path) -> Path:
    return copy_repo(base_template, tmp_path / "repo")


def _branch(root: Path, name: str, start: str = "main") -> None:
    git(root, "checkout", "-q", "-b", name, start)


@pytest.mark.slow
def test_branches_that_ran_different_pipelines_merge_cleanly(base: Path) -> None:
    _branch(base, "a")
    edit(base / "helpers.py", "value * factor", "value * factor + 1")
    flow_run = run_ok(base, "flow")
    commit_all(base, "a: flow")
    _branch(base, "b", "main")
    edit(base / "other.py", "value * 2", "value * 3")
    other_run = run_ok(base, "other")
    commit_all(base, "b: other")
    merged = git_try(base, "merge", "-q", "-m", "merge a", "a")
    assert merged.returncode == 0, merged.stderr
    assert _lock(base) == {"flow": flow_run, "other": other_run}
    assert cli(base, "status", "--exit-code").code == 0


@pytest.mark.slow
def test_the_same_pipeline_changed_on_both_sides_is_resolved_by_repro_run(base: Path) -> None:
    _branch(base, "a")
    edit(base / "helpers.py", "value * factor", "value * factor + 1")
    theirs = run_ok(base, "flow")
    commit_all(base, "a: helpers")
    _branch(base, "b", "main")
    edit(base / "flow.py", "factor: int = 3", "factor: int = 5")
    ours = run_ok(base, "flow")
    commit_all(base, "b: factor")
    merged = git_try(base, "merge", "-m", "merge a", "a")
    assert merged.returncode != 0 and "CONFLICT (content): Merge conflict in repro.lock" in (
        merged.stdout
    )
    assert "pipeline flow changed on both sides of a merge" in merged.stderr
    conflicted = parse_lock((base / "repro.lock").read_text())
    assert conflicted.conflicts["flow"].theirs == theirs
    assert conflicted.pipelines["flow"].run == ours
    assert cli(base, "run", "flow").code == 0
    resolved = parse_lock((base / "repro.lock").read_text())
    assert not resolved.conflicts and resolved.pipelines["flow"].run not in (ours, theirs)
    git(base, "add", "repro.lock")
    git(base, "commit", "-q", "--no-edit")
    assert git(base, "status", "--porcelain", "--untracked-files=no") == ""
    assert cli(base, "status", "--exit-code").code == 0


def test_a_conflict_is_rewritten_by_repro_run_even_where_our_entry_holds(base: Path) -> None:
    """The run of our side still matches the tree, yet `repro run` must not
    take the lock as settled while it records a conflict."""
    lock = base / "repro.lock"
    ours = lock.read_text()
    theirs = ours.replace(_lock(base)["flow"], "01zzzzzzzzzzzz")
    (base / "theirs").write_text(theirs)
    (base / "empty").write_text("")
    assert cli(base, "lock", "merge", "empty", "repro.lock", "theirs").code == 1
    assert "conflicts:" in lock.read_text()
    status = cli(base, "status", "--exit-code", "flow")  # reads, so validates, the lock
    assert status.code == 1
    assert "pipeline flow changed on both sides of a merge" in status.out
    assert cli(base, "run").code == 0
    assert "conflicts" not in lock.read_text()
    assert set(_lock(base)) == {"flow", "other"}


def test_a_corrupt_lock_on_the_merged_branch_is_a_conflict_that_loses_nothing(
    base: Path,
) -> None:
    lock = base / "repro.lock"
    _branch(base, "a")
    lock.write_text(lock.read_text().replace("pipelines:", "pipelines: [", 1))
    commit_all(base, "a: a corrupt lock")
    git(base, "checkout", "-q", "main")
    ours = lock.read_text().replace("dirty: false", "dirty: true", 1)
    lock.write_text(ours)
    commit_all(base, "main: a changed lock")
    merged = git_try(base, "merge", "-m", "merge a", "a")
    assert merged.returncode != 0
    errors = [line for line in merged.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "the merged branch's version" in errors[0]
    assert "Traceback" not in merged.stderr
    assert lock.read_text() == ours
