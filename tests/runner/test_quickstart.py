"""The quickstart example as shipped: what reruns after each kind of edit,
on its real steps (pandas, scikit-learn)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pipeline_testing import cli, commit_all, edit, executed, run_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
STEPS = {"ingest_data", "ingest_drops", "train_model", "evaluate", "check_drift"}
RETRAINING = {"retrain_model", "evaluate_2"}


@pytest.fixture
def quickstart(git_repo: Path) -> Path:
    shutil.copytree(
        EXAMPLE,
        git_repo,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("demo.sh", "__pycache__"),
    )
    commit_all(git_repo, "quickstart")
    first = run_json(git_repo)
    assert executed(first) == STEPS
    return git_repo


def test_editing_evaluate_reruns_only_evaluate(quickstart: Path) -> None:
    edit(
        quickstart / "pipeline.py",
        'log_metric("rmse", rmse)',
        'log_metric("rmse", rmse)\n    log_metric("rmse_squared", rmse**2)',
    )
    assert executed(run_json(quickstart)) == {"evaluate"}


def test_editing_the_feature_helper_reruns_training_and_what_follows(quickstart: Path) -> None:
    edit(
        quickstart / "features.py",
        "return frame[FEATURES], frame[TARGET]",
        "return frame[FEATURES[:3]], frame[TARGET]",
    )
    assert executed(run_json(quickstart)) == {"train_model", "evaluate"}


def test_one_csv_row_reruns_everything_downstream_of_the_data(quickstart: Path) -> None:
    csv = quickstart / "data" / "housing.csv"
    lines = csv.read_text().splitlines()
    lines[5] = "5.000," + lines[5].split(",", 1)[1]
    csv.write_text("\n".join(lines) + "\n")
    assert executed(run_json(quickstart)) == STEPS - {"ingest_drops"}


def test_n_estimators_from_the_cli_reruns_training_and_evaluation(quickstart: Path) -> None:
    assert executed(run_json(quickstart, "-p", "n_estimators=20")) == {"train_model", "evaluate"}
    record = cli(quickstart, "runs", "list", "--json").json()[-1]
    shown = cli(quickstart, "runs", "show", record["id"], "--json").json()
    assert shown["models"][0]["name"] == "my_model"
    assert shown["models"][0]["step"] == "train_model"


def test_a_drifted_data_drop_retrains_and_makes_a_new_model_version(quickstart: Path) -> None:
    first = cli(quickstart, "runs", "list", "--json").json()[-1]["id"]
    shutil.copy(quickstart / "data" / "incoming" / "drop-002.csv", quickstart / "data" / "drops")
    doc = run_json(quickstart, "--if-changed")
    assert executed(doc) == {"ingest_drops", "check_drift", *RETRAINING}
    shown = cli(quickstart, "runs", "show", doc["run"], "--json").json()
    assert shown["models"][0]["step"] == "retrain_model"
    assert shown["steps"]["check_drift"]["tags"] == {"drift": "yes"}
    before = cli(quickstart, "runs", "show", first, "--json").json()
    assert before["steps"]["retrain_model"]["status"] == "skipped"
    assert before["steps"]["check_drift"]["tags"] == {"drift": "no"}


def test_an_unchanged_drop_folder_runs_nothing(quickstart: Path) -> None:
    assert run_json(quickstart, "--if-changed")["status"] == "unchanged"
