"""``repro run --ci``: run, push the runs to the default remote, and fail
when the lock the run leaves is not the committed one. A developer's
repository runs, pushes and commits; CI is a fresh clone elsewhere, often on
a detached HEAD."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ci_testing import clone
from cli_testing import one_line_error
from pipeline_testing import cli, commit_all, edit, make_flow_project
from repro_testing import git

from repro.project import Project, find_project, init_project
from repro.runner.ci import (
    LockNotCommittedError,
    NoCiRemoteError,
    check_ci_ready,
    finish_ci,
    uncommitted_lock,
)


@pytest.fixture
def store(dev: Path) -> Path:
    """Its default remote."""
    return dev.parent / "store"


def _ci_clone(dev: Path, *, detach: bool = False) -> Path:
    ci = clone(dev, dev.parent / "ci-checkout")
    if detach:
        git(ci, "checkout", "-q", "--detach")
    assert cli(ci, "pull").code == 0
    return ci


def _pushed(store: Path) -> set[str]:
    runs = store / "xxh3-128" / "runs"
    return set(os.listdir(runs)) if runs.is_dir() else set()


def _lock_status(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--", "repro.lock").strip()


def test_ci_run_of_a_committed_lock_pushes_and_passes(dev: Path, store: Path) -> None:
    ci = _ci_clone(dev)
    result = cli(ci, "run", "--ci")
    assert result.code == 0, result
    assert "flow: up to date" in result.out
    assert "pushed 1 run to origin" in result.out
    assert _lock_status(ci) == ""


def test_ci_run_that_changes_the_lock_pushes_then_fails_naming_the_fix(
    dev: Path, store: Path
) -> None:
    ci = _ci_clone(dev)
    before = _pushed(store)
    result = cli(ci, "run", "--ci", "--json", "-p", "factor=4")
    pushed, error = result.err.strip().splitlines()  # the push, then one error line
    assert pushed.startswith("pushed 1 run to origin: ")
    assert error.startswith("error: repro.lock changed but is not committed")
    assert "git add repro.lock && git commit" in error
    assert result.code == 1
    assert _pushed(store) - before == {result.json()["run"]}


def test_ci_passes_once_the_lock_it_wrote_is_committed(dev: Path) -> None:
    ci = _ci_clone(dev)
    assert cli(ci, "run", "--ci", "-p", "factor=4").code == 1
    commit_all(ci, "lock for factor=4")
    result = cli(ci, "run", "--ci", "-p", "factor=4")
    assert result.code == 0, result


def test_ci_on_a_detached_head_records_the_commit_without_a_branch(dev: Path) -> None:
    ci = _ci_clone(dev, detach=True)
    result = cli(ci, "run", "--ci", "--json", "-p", "factor=5")
    assert result.code == 1  # the lock changed; the run itself is fine
    shown = cli(ci, "runs", "show", result.json()["run"], "--json").json()
    assert shown["git"]["branch"] is None
    assert shown["git"]["commit"] == git(ci, "rev-parse", "HEAD").strip()


def test_ci_on_a_detached_head_with_a_fresh_lock_passes(dev: Path) -> None:
    ci = _ci_clone(dev, detach=True)
    result = cli(ci, "run", "--ci")
    assert result.code == 0, result


def test_ci_without_a_default_remote_fails_before_running(git_repo: Path) -> None:
    flow = make_flow_project(git_repo)
    result = cli(flow, "run", "--ci")
    assert "'repro remote add --default NAME URL'" in one_line_error(result)
    assert result.code == 1
    assert not (flow / ".repro" / "runs").exists() or not os.listdir(flow / ".repro" / "runs")


def test_ci_with_a_failing_step_pushes_nothing(dev: Path, store: Path) -> None:
    before = _pushed(store)
    edit(dev / "helpers.py", "return value * factor", "raise ValueError('broken')")
    commit_all(dev, "broken helper")
    result = cli(dev, "run", "--ci")
    assert result.code == 1
    assert "pushed" not in result.out
    assert _pushed(store) == before


def test_ci_and_frozen_together_are_a_usage_error(dev: Path) -> None:
    result = cli(dev, "run", "--ci", "--frozen")
    assert result.code == 2
    assert "give one of them" in one_line_error(result)


# the lock check, without a run


def _project_in(repo: Path, sub: str = "") -> Project:
    root = repo / sub if sub else repo
    root.mkdir(parents=True, exist_ok=True)
    project = init_project(str(root)).project
    (root / "repro.lock").write_text("# a lock\n")
    commit_all(repo, "lock")
    return project


def test_a_lock_as_committed_is_not_reported(git_repo: Path) -> None:
    assert uncommitted_lock(_project_in(git_repo)) is None


def test_an_edited_lock_is_reported(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project_in(git_repo)
    (git_repo / "repro.lock").write_text("# another lock\n")
    monkeypatch.chdir(git_repo)
    assert uncommitted_lock(project) == "repro.lock"


def test_a_staged_but_uncommitted_lock_is_reported(git_repo: Path) -> None:
    project = _project_in(git_repo)
    (git_repo / "repro.lock").write_text("# another lock\n")
    git(git_repo, "add", "repro.lock")
    assert uncommitted_lock(project) is not None


def test_a_lock_never_committed_is_reported(git_repo: Path) -> None:
    project = init_project(str(git_repo)).project
    (git_repo / "README").write_text("a project\n")
    commit_all(git_repo, "no lock yet")
    (git_repo / "repro.lock").write_text("# a lock\n")
    assert uncommitted_lock(project) is not None


def test_the_lock_of_a_project_in_a_subfolder_is_found_in_head(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project_in(git_repo, "ml/flow")
    assert uncommitted_lock(project) is None
    (git_repo / "ml/flow/repro.lock").write_text("# another lock\n")
    monkeypatch.chdir(git_repo)
    assert uncommitted_lock(project) == os.path.join("ml", "flow", "repro.lock")


def test_finish_ci_pushes_then_names_an_uncommitted_lock(
    dev: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(dev / "repro.lock", "pipelines:", "# edited by hand\npipelines:")
    monkeypatch.chdir(dev)
    outcome = finish_ci(find_project(), sorted(_pushed(store)))
    assert outcome.pushed.runs == sorted(_pushed(store))
    with pytest.raises(LockNotCommittedError, match=r"git add repro.lock && git commit -m"):
        outcome.check()


def test_check_ci_ready_asks_for_a_default_remote(project: Project) -> None:
    with pytest.raises(NoCiRemoteError, match=r"'repro remote add --default NAME URL'"):
        check_ci_ready(project)
