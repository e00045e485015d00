"""`show`: a version's lineage is its run's pins (commit, environment,
image, data snapshots, params), the step and output it is, and what the
run logged."""

from __future__ import annotations

from models_testing import Trained

from repro.models import show_model
from repro.project import Project


def test_the_lineage_names_the_run_commit_data_and_params(
    trained: Trained, trained_project: Project
) -> None:
    record = trained.record(trained.second_run)
    lineage = show_model(trained_project, f"line@{trained.version(trained.second_run)}").lineage
    assert (lineage.run, lineage.pipeline, lineage.backend) == (
        trained.second_run,
        "train",
        "local",
    )
    assert (lineage.commit, lineage.branch, lineage.dirty) == (trained.commit, "main", False)
    assert lineage.data == {"data/points.csv": record["inputs"]["data/points.csv"]["oid"]}
    assert lineage.environment == record["environment"]["oid"]
    assert lineage.image is None  # run in-process, not in a container
    assert lineage.params == {"scale": 3, "data": "data/points.csv"}


def test_the_lineage_names_the_step_output_and_how_it_is_stored(
    trained: Trained, trained_project: Project
) -> None:
    lineage = show_model(trained_project, "line").lineage
    assert (lineage.step, lineage.output) == ("fit", "output")
    assert lineage.artifact["materializer"] == "sklearn.skops"
    assert lineage.artifact["kind"] == "blob"
    assert lineage.artifact["type"] == "sklearn.linear_model._base.LinearRegression"
    assert lineage.code == trained.record(trained.first_run)["steps"]["fit"]["fingerprints"]["code"]


def test_the_lineage_holds_the_metrics_and_params_the_steps_logged(
    trained: Trained, trained_project: Project
) -> None:
    lineage = show_model(trained_project, f"line@{trained.version(trained.second_run)}").lineage
    assert lineage.metrics == {"fit": {"slope": 3.0}}
    assert lineage.logged_params == {"fit": {"features": ["x"]}}


def test_a_version_recorded_again_is_traced_to_the_run_that_made_it(
    trained: Trained, trained_project: Project
) -> None:
    lineage = show_model(trained_project, "line").lineage
    assert lineage.run == trained.first_run
    assert lineage.executed_in == trained.first_run
    assert lineage.runs == [trained.first_run, trained.rerun]


def test_the_details_say_whether_it_is_the_latest_version(
    trained: Trained, trained_project: Project
) -> None:
    assert show_model(trained_project, "line").latest
    assert not show_model(trained_project, f"line@{trained.version(trained.second_run)}").latest
