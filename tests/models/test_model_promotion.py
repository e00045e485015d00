"""`promote`: an alias set in models.yaml, left for review or committed
alone; an alias is never moved silently."""

from __future__ import annotations

import re

import pytest
import yaml
from models_testing import Trained
from pipeline_testing import commit_all
from repro_testing import git

from repro.models import (
    AliasTakenError,
    InvalidAliasError,
    ModelsFileInvalidError,
    UnknownModelError,
    UnknownVersionError,
    promote,
)
from repro.project import Project


def _aliases(trained: Trained, name: str = "line") -> dict[str, dict[str, str]]:
    doc = yaml.safe_load((trained.root / "models.yaml").read_text())
    return dict(doc["models"][name]["aliases"])


def test_promote_points_the_alias_at_the_version_and_its_run(
    trained: Trained, trained_project: Project
) -> None:
    oid = trained.version(trained.second_run)
    done = promote(trained_project, "line", oid[:7], "production")
    entry = _aliases(trained)["production"]
    assert (entry["version"], entry["run"]) == (oid, trained.second_run)
    assert entry["promoted_at"].endswith("Z")
    assert (done.version, done.previous, done.changed, done.commit) == (oid, None, True, None)


def test_without_commit_the_change_waits_in_the_work_tree(
    trained: Trained, trained_project: Project
) -> None:
    promote(trained_project, "line", "latest", "production")
    assert "?? models.yaml" in git(trained.root, "status", "--porcelain")
    assert git(trained.root, "rev-parse", "HEAD").strip() == trained.commit


def test_promoting_to_where_the_alias_points_changes_nothing(
    trained: Trained, trained_project: Project
) -> None:
    promote(trained_project, "line", "latest", "production")
    before = (trained.root / "models.yaml").read_bytes()
    done = promote(trained_project, "line", "latest", "production")
    assert not done.changed
    assert (trained.root / "models.yaml").read_bytes() == before


def test_an_alias_pointing_elsewhere_is_not_moved(
    trained: Trained, trained_project: Project
) -> None:
    first = trained.version(trained.first_run)
    promote(trained_project, "line", first, "production")
    before = (trained.root / "models.yaml").read_bytes()
    second = trained.version(trained.second_run)
    with pytest.raises(
        AliasTakenError,
        match=rf"alias 'production' of model 'line' already points to version {first[:12]}; "
        rf"pass --force to move it to {second[:12]}",
    ):
        promote(trained_project, "line", second, "production")
    assert (trained.root / "models.yaml").read_bytes() == before


def test_force_moves_it_and_says_where_it_pointed(
    trained: Trained, trained_project: Project
) -> None:
    first, second = trained.version(trained.first_run), trained.version(trained.second_run)
    promote(trained_project, "line", first, "production")
    done = promote(trained_project, "line", second, "production", force=True)
    assert (done.previous, done.version) == (first, second)
    assert _aliases(trained)["production"]["version"] == second


def test_an_alias_can_be_promoted_from_another(trained: Trained, trained_project: Project) -> None:
    promote(trained_project, "line", trained.version(trained.second_run), "staging")
    promote(trained_project, "line", "staging", "production")
    assert _aliases(trained)["production"]["version"] == trained.version(trained.second_run)


def test_models_keep_their_own_aliases(trained: Trained, trained_project: Project) -> None:
    promote(trained_project, "line", "latest", "production")
    promote(trained_project, "bundle", "latest", "production")
    assert _aliases(trained, "bundle")["production"]["version"] == trained.version(
        trained.bundle_run
    )
    assert _aliases(trained)["production"]["version"] == trained.version(trained.rerun)


def test_promoting_a_version_that_does_not_exist_is_an_error(
    trained: Trained, trained_project: Project
) -> None:
    with pytest.raises(UnknownVersionError, match="model 'line' has no version or alias 'abcdef0'"):
        promote(trained_project, "line", "abcdef0", "production")
    assert not (trained.root / "models.yaml").exists()


def test_promoting_a_version_of_an_unknown_model_is_an_error(trained_project: Project) -> None:
    with pytest.raises(UnknownModelError, match="no model named 'nope'"):
        promote(trained_project, "nope", "latest", "production")


@pytest.mark.parametrize(
    ("alias", "reason"),
    [
        ("latest", "'latest' always means the newest version"),
        ("cafe", "it reads as a version id"),
        ("1st", "use a letter, then"),
        ("pro duction", "use a letter, then"),
        ("prod\n", "use a letter, then"),
    ],
)
def test_an_alias_that_could_be_misread_is_refused(
    trained_project: Project, alias: str, reason: str
) -> None:
    with pytest.raises(
        InvalidAliasError, match=rf"invalid alias {re.escape(repr(alias))}: {reason}"
    ):
        promote(trained_project, "line", "latest", alias)


def test_a_malformed_models_file_stops_a_promotion(
    trained: Trained, trained_project: Project
) -> None:
    (trained.root / "models.yaml").write_text("models: [\n")
    with pytest.raises(ModelsFileInvalidError, match=r"models\.yaml is not a valid models file"):
        promote(trained_project, "line", "latest", "production")
    assert (trained.root / "models.yaml").read_text() == "models: [\n"


def test_commit_commits_the_models_file_alone(trained: Trained, trained_project: Project) -> None:
    (trained.root / "notes.txt").write_text("staged, not part of the promotion\n")
    git(trained.root, "add", "notes.txt")
    oid = trained.version(trained.second_run)
    done = promote(trained_project, "line", oid, "production", commit=True)
    assert done.commit == git(trained.root, "rev-parse", "HEAD").strip()
    assert git(trained.root, "show", "--name-only", "--format=%s", "HEAD").split() == [
        "models:",
        "promote",
        "line",
        oid,
        "to",
        "production",
        "models.yaml",
    ]
    assert "A  notes.txt" in git(trained.root, "status", "--porcelain")


def test_commit_after_a_promotion_left_for_review_commits_it(
    trained: Trained, trained_project: Project
) -> None:
    promote(trained_project, "line", "latest", "production")
    done = promote(trained_project, "line", "latest", "production", commit=True)
    assert not done.changed
    assert done.commit == git(trained.root, "rev-parse", "HEAD").strip()


def test_commit_with_nothing_to_commit_makes_no_commit(
    trained: Trained, trained_project: Project
) -> None:
    promote(trained_project, "line", "latest", "production")
    head = commit_all(trained.root, "reviewed promotion")
    done = promote(trained_project, "line", "latest", "production", commit=True)
    assert done.commit is None
    assert git(trained.root, "rev-parse", "HEAD").strip() == head
