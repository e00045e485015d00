"""Versions are the model outputs of succeeded runs, identified by object
id; a reference (NAME, NAME@VERSION, NAME@ALIAS) names one of them."""

from __future__ import annotations

import pytest
from models_testing import Trained

from repro.lineage.runs import RunIndex
from repro.models import (
    AliasTargetMissingError,
    AmbiguousVersionError,
    UnknownModelError,
    UnknownVersionError,
    list_versions,
    promote,
)
from repro.models.registry import ModelRef, load_registry, parse_ref
from repro.models.versions import Version, collect_versions, match_version
from repro.project import Project


def test_every_version_of_every_model_is_listed_latest_first(
    trained: Trained, trained_project: Project
) -> None:
    rows = list_versions(trained_project)
    assert [(row.version.name, row.version.oid) for row in rows] == [
        ("bundle", trained.version(trained.bundle_run)),
        ("line", trained.version(trained.rerun)),
        ("line", trained.version(trained.second_run)),
    ]
    assert [row.latest for row in rows] == [True, True, False]


def test_a_rerun_with_cached_steps_records_the_same_version_again(
    trained: Trained, trained_project: Project
) -> None:
    assert trained.version(trained.rerun) == trained.version(trained.first_run)
    (latest, _) = list_versions(trained_project, "line")
    assert latest.version.runs == (trained.first_run, trained.rerun)
    assert latest.version.run == trained.first_run  # the run that made it
    assert latest.version.recorded == trained.record(trained.rerun)["created"]


def test_the_list_of_one_model_names_its_step_and_output(
    trained: Trained, trained_project: Project
) -> None:
    rows = list_versions(trained_project, "bundle")
    assert [row.to_dict() for row in rows] == [
        {
            "name": "bundle",
            "version": trained.version(trained.bundle_run),
            "step": "export",
            "output": "output",
            "run": trained.bundle_run,
            "created": trained.record(trained.bundle_run)["created"],
            "runs": [trained.bundle_run],
            "recorded": trained.record(trained.bundle_run)["created"],
            "aliases": [],
            "latest": True,
        }
    ]


def test_only_succeeded_runs_make_versions(trained: Trained) -> None:
    records = list(RunIndex(str(trained.root / ".repro")).records())
    failed = [r.model_copy(update={"status": "failed"}) for r in records if r.pipeline == "train"]
    assert {version.name for version in collect_versions(records)} == {"line", "bundle"}
    assert {version.name for version in collect_versions(failed)} == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("line", ModelRef("line", None)),
        ("line@", ModelRef("line", None)),
        ("line@production", ModelRef("line", "production")),
        ("team@line@abc1", ModelRef("team@line", "abc1")),
    ],
)
def test_a_reference_is_a_name_and_an_optional_version_or_alias(
    text: str, expected: ModelRef
) -> None:
    assert parse_ref(text) == expected


def test_a_name_alone_or_at_latest_is_the_latest_version(
    trained: Trained, trained_project: Project
) -> None:
    registry = load_registry(trained_project)
    latest = trained.version(trained.rerun)
    assert registry.resolve(parse_ref("line")).oid == latest
    assert registry.resolve(parse_ref("line@latest")).oid == latest


def test_a_version_is_named_by_its_id_or_any_unique_prefix(
    trained: Trained, trained_project: Project
) -> None:
    registry = load_registry(trained_project)
    oid = trained.version(trained.second_run)
    assert registry.resolve(ModelRef("line", oid)).oid == oid
    assert registry.resolve(ModelRef("line", oid[:6].upper())).oid == oid


def test_an_alias_names_the_version_it_points_to(
    trained: Trained, trained_project: Project
) -> None:
    oid = trained.version(trained.second_run)
    promote(trained_project, "line", oid[:8], "staging")
    assert load_registry(trained_project).resolve(ModelRef("line", "staging")).oid == oid


def test_an_unknown_model_is_an_error_naming_the_known_ones(trained_project: Project) -> None:
    with pytest.raises(UnknownModelError, match=r"no model named 'nope' \(models: bundle, line"):
        load_registry(trained_project).resolve(ModelRef("nope", None))


def test_a_project_without_models_says_how_to_make_one(project: Project) -> None:
    with pytest.raises(UnknownModelError, match=r"@pipeline\(model=Model\(name=\.\.\.\)\)"):
        load_registry(project).resolve(ModelRef("line", None))


def test_an_unknown_version_is_an_error(trained_project: Project) -> None:
    with pytest.raises(UnknownVersionError, match="model 'line' has no version or alias 'ffff0'"):
        load_registry(trained_project).resolve(ModelRef("line", "ffff0"))


def test_an_unknown_alias_is_an_error_naming_the_aliases(
    trained: Trained, trained_project: Project
) -> None:
    promote(trained_project, "line", trained.version(trained.first_run), "staging")
    with pytest.raises(
        UnknownVersionError, match="no version or alias 'prod'; its aliases: staging"
    ):
        load_registry(trained_project).resolve(ModelRef("line", "prod"))


def test_a_prefix_of_several_versions_is_ambiguous() -> None:
    versions = [
        Version("line", oid, "fit", "output", "01m8ehvpe4ane4", "", ("01m8ehvpe4ane4",), "")
        for oid in ("abc1" + "0" * 28, "abc2" + "0" * 28)
    ]
    with pytest.raises(AmbiguousVersionError, match="'abc' matches 2 versions of model 'line'"):
        match_version("line", versions, "abc", [])
    assert match_version("line", versions, "abc2", []).oid == versions[1].oid


def test_an_alias_to_a_version_no_record_holds_says_to_pull(
    trained: Trained, trained_project: Project
) -> None:
    (trained.root / "models.yaml").write_text(
        "schema: repro.models/v1\n"
        "models:\n  line:\n    aliases:\n      production:\n"
        f"        version: {'e' * 32}\n        run: 01m8ehvpe4ane4\n"
        "        promoted_at: '2026-01-01T00:00:00Z'\n"
    )
    with pytest.raises(AliasTargetMissingError, match=r"run `repro pull`"):
        load_registry(trained_project).resolve(ModelRef("line", "production"))
