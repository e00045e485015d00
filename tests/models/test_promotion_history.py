"""The history of promotions is Git's: each commit that changed models.yaml,
its author and date, and which aliases it moved from which version to
which, whether `--commit` made it or a reviewed pull request."""

from __future__ import annotations

import shutil

import pytest
from models_testing import Trained
from pipeline_testing import commit_all
from repro_testing import git

from repro.models import promote, promotion_history, show_model
from repro.models.history import AliasChange
from repro.project import Project


def _as(monkeypatch: pytest.MonkeyPatch, name: str, date: str) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", name)
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", f"{name.lower()}@example.invalid")
    monkeypatch.setenv("GIT_AUTHOR_DATE", date)


@pytest.fixture
def promoted_twice(
    trained: Trained, trained_project: Project, monkeypatch: pytest.MonkeyPatch
) -> Trained:
    """Ada promoted the scale-3 version, then Bob moved production to the latest."""
    _as(monkeypatch, "Ada", "2026-02-03T04:05:06+00:00")
    promote(trained_project, "line", trained.version(trained.second_run), "production", commit=True)
    _as(monkeypatch, "Bob", "2026-02-04T10:00:00+00:00")
    promote(trained_project, "line", "latest", "production", force=True, commit=True)
    return trained


def test_each_promotion_is_listed_with_its_author_and_date_newest_first(
    promoted_twice: Trained, trained_project: Project
) -> None:
    history = show_model(trained_project, "line").history
    assert [(e.author, e.email, e.date) for e in history] == [
        ("Bob", "bob@example.invalid", "2026-02-04T10:00:00+00:00"),
        ("Ada", "ada@example.invalid", "2026-02-03T04:05:06+00:00"),
    ]
    assert history[0].commit == git(promoted_twice.root, "rev-parse", "HEAD").strip()


def test_each_entry_says_which_alias_moved_from_where_to_where(
    promoted_twice: Trained, trained_project: Project
) -> None:
    old, new = (
        promoted_twice.version(promoted_twice.second_run),
        promoted_twice.version(promoted_twice.rerun),
    )
    bob, ada = show_model(trained_project, "line").history
    assert ada.changes == (AliasChange("line", "production", None, old, promoted_twice.second_run),)
    assert bob.changes == (AliasChange("line", "production", old, new, promoted_twice.first_run),)
    assert bob.subject == f"models: promote line {new} to production"


def test_a_promotion_merged_from_a_pull_request_is_in_the_history(
    trained: Trained, trained_project: Project
) -> None:
    git(trained.root, "checkout", "-q", "-b", "stage-line")
    promote(trained_project, "line", "latest", "staging")
    commit_all(trained.root, "Stage the new line model")
    git(trained.root, "checkout", "-q", "main")
    git(trained.root, "merge", "-q", "--no-ff", "-m", "Merge pull request #7", "stage-line")
    (entry,) = show_model(trained_project, "line").history
    assert (entry.author, entry.subject) == ("repro tests", "Stage the new line model")
    assert [(c.alias, c.new) for c in entry.changes] == [
        ("staging", trained.version(trained.rerun))
    ]


def test_a_models_history_leaves_out_the_other_models(
    trained: Trained, trained_project: Project
) -> None:
    promote(trained_project, "bundle", "latest", "production", commit=True)
    promote(trained_project, "line", "latest", "production", commit=True)
    assert [e.changes[0].model for e in show_model(trained_project, "bundle").history] == ["bundle"]
    every = promotion_history(str(trained.root / "models.yaml"))
    assert [[c.model for c in e.changes] for e in every] == [["line"], ["bundle"]]


def test_a_commit_of_a_broken_file_is_listed_with_the_problem(
    trained: Trained, trained_project: Project
) -> None:
    promote(trained_project, "line", "latest", "production", commit=True)
    good = (trained.root / "models.yaml").read_text()
    (trained.root / "models.yaml").write_text("models: [\n")
    commit_all(trained.root, "a bad edit")
    (trained.root / "models.yaml").write_text(good)
    commit_all(trained.root, "undo the bad edit")
    fixed, broken, first = promotion_history(str(trained.root / "models.yaml"), "line")
    assert broken.problem is not None and "not valid YAML" in broken.problem
    assert fixed.problem is not None and "models.yaml at " in fixed.problem
    assert first.problem is None and first.changes


def test_uncommitted_promotions_have_no_history_yet(trained_project: Project) -> None:
    promote(trained_project, "line", "latest", "production")
    assert show_model(trained_project, "line").history == []


def test_a_project_outside_git_shows_no_history(trained: Trained, trained_project: Project) -> None:
    shutil.rmtree(trained.root / ".git")
    promote(trained_project, "line", "latest", "production")
    details = show_model(trained_project, "line@production")
    assert details.history == []
    assert list(details.aliases) == ["production"]
