"""The models pages' content on the quickstart: my_model's two versions,
its production alias and the commit that promoted it; and the empty and
unusual cases (no models, no Git, aliases of runs recorded elsewhere)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ui_testing import Quickstart

from repro.lineage.runs import RunIndex, new_run_id
from repro.models.errors import UnknownModelError
from repro.models.registry import load_registry
from repro.project import Project, init_project
from repro.views.models_view import MAX_VERSIONS, model_page, models_index
from repro.views.run_summaries import run_summaries


def _copy(quickstart: Quickstart, tmp_path: Path) -> Project:
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    return Project(str(root))


def _version(quickstart: Quickstart, run: str) -> str:
    return RunIndex(quickstart.project.repro_dir).load(run).models[0].version


def test_the_index_lists_each_model_with_its_versions_and_aliases(
    ui_quickstart: Quickstart,
) -> None:
    (model,) = models_index(ui_quickstart.project).models
    assert (model.name, model.versions) == ("my_model", 2)
    assert [(a.alias, a.version) for a in model.aliases] == [
        ("production", _version(ui_quickstart, ui_quickstart.first))
    ]


def test_the_latest_version_is_the_one_the_latest_run_made(ui_quickstart: Quickstart) -> None:
    (model,) = models_index(ui_quickstart.project).models
    assert model.latest is not None
    assert (model.latest.oid, model.latest.run) == (
        _version(ui_quickstart, ui_quickstart.retrain),
        ui_quickstart.retrain,
    )


def test_versions_are_newest_first_with_their_aliases(ui_quickstart: Quickstart) -> None:
    page = model_page(ui_quickstart.project, "my_model")
    assert [(v.oid, v.aliases, v.latest) for v in page.versions] == [
        (_version(ui_quickstart, ui_quickstart.retrain), (), True),
        (_version(ui_quickstart, ui_quickstart.first), ("production",), False),
    ]


def test_a_version_shows_the_metrics_of_its_runs_steps(ui_quickstart: Quickstart) -> None:
    newest = model_page(ui_quickstart.project, "my_model").versions[0]
    assert set(newest.metrics) == {"check_drift", "evaluate", "evaluate_2"}
    assert newest.metrics["evaluate_2"]["rmse"] > 0
    assert newest.params["n_estimators"] == 100


def test_an_alias_says_where_it_points(ui_quickstart: Quickstart) -> None:
    (alias,) = model_page(ui_quickstart.project, "my_model").aliases
    assert (alias.alias, alias.run, alias.recorded) == ("production", ui_quickstart.first, True)


def test_the_history_is_the_commit_that_promoted_the_version(ui_quickstart: Quickstart) -> None:
    history = model_page(ui_quickstart.project, "my_model").history
    assert history is not None
    (entry,) = history
    assert entry.subject == "promote my_model to production"
    assert [(c.alias, c.old, c.new) for c in entry.changes] == [
        ("production", None, _version(ui_quickstart, ui_quickstart.first))
    ]


def test_an_unknown_model_is_an_error_naming_the_known_ones(ui_quickstart: Quickstart) -> None:
    with pytest.raises(UnknownModelError, match=r"no model named 'nope' \(models: my_model"):
        model_page(ui_quickstart.project, "nope")


def test_a_project_without_models_has_an_empty_index(tmp_path: Path) -> None:
    project = init_project(str(tmp_path), no_scm=True).project
    assert models_index(project).models == ()


def test_a_project_outside_git_has_no_history(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    project = _copy(ui_quickstart, tmp_path)
    shutil.rmtree(Path(project.root, ".git"))
    assert model_page(project, "my_model").history is None


def test_aliases_of_runs_recorded_elsewhere_are_listed_as_not_recorded(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project = _copy(ui_quickstart, tmp_path)
    shutil.rmtree(Path(project.repro_dir, "runs"))
    (model,) = models_index(project).models
    assert (model.name, model.versions, model.latest) == ("my_model", 0, None)
    assert [(a.alias, a.recorded) for a in model.aliases] == [("production", False)]


def _with_versions(quickstart: Quickstart, tmp_path: Path, count: int) -> tuple[Project, list[str]]:
    """A copy with ``count`` more runs like the retraining one, each with a
    model version of its own; their ids, oldest first."""
    project = _copy(quickstart, tmp_path)
    index = RunIndex(project.repro_dir)
    record = index.load(quickstart.retrain)
    runs = []
    for number in range(count):
        model = record.models[0].model_copy(update={"version": f"{number:032x}"})
        copy = record.model_copy(update={"id": new_run_id(), "models": [model]})
        index.save(copy)
        runs.append(copy.id)
    return project, runs


def test_a_model_page_shows_the_newest_versions_and_counts_them(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project, runs = _with_versions(ui_quickstart, tmp_path, MAX_VERSIONS + 1)
    page = model_page(project, "my_model")
    assert [version.run for version in page.versions] == runs[::-1][:MAX_VERSIONS]
    assert (page.version_count, page.more) == (MAX_VERSIONS + 3, 3)
    assert [alias.recorded for alias in page.aliases] == [True]  # its version is not shown


def test_a_model_page_loads_the_records_of_the_versions_it_shows_only(
    ui_quickstart: Quickstart, tmp_path: Path, loaded: list[str]
) -> None:
    project, runs = _with_versions(ui_quickstart, tmp_path, MAX_VERSIONS + 1)
    loaded.clear()
    model_page(project, "my_model")
    assert sorted(loaded) == sorted(runs[::-1][:MAX_VERSIONS])


def test_the_models_list_loads_the_record_of_each_latest_version_only(
    ui_quickstart: Quickstart, tmp_path: Path, loaded: list[str]
) -> None:
    project, runs = _with_versions(ui_quickstart, tmp_path, 5)
    loaded.clear()
    (model,) = models_index(project).models
    assert (model.versions, loaded) == (7, [runs[-1]])


def test_versions_are_those_the_registry_finds_in_the_records(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project, _ = _with_versions(ui_quickstart, tmp_path, 3)
    assert run_summaries(project).versions == tuple(load_registry(project).versions)
