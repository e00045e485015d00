"""[tool.repro.mlflow] in pyproject.toml, the MLFLOW_* variables over it,
and what a bad setting does to a run's mirror (it fails; the run does not)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow_records import make_record

from repro.mirrors.mlflow import MlflowConfigError, mirror_run, mlflow_settings
from repro.project import Project


def _configure(root: Path, table: str) -> Path:
    (root / "pyproject.toml").write_text(f"[tool.repro.mlflow]\n{table}\n")
    return root


def test_no_tracking_uri_means_no_mirror(tmp_path: Path) -> None:
    assert mlflow_settings(str(tmp_path), environ={}) is None


def test_the_experiment_defaults_to_the_pipeline(tmp_path: Path) -> None:
    _configure(tmp_path, 'tracking-uri = "http://127.0.0.1:5000"')
    settings = mlflow_settings(str(tmp_path), environ={})
    assert settings is not None
    assert (settings.tracking_uri, settings.experiment_for("train")) == (
        "http://127.0.0.1:5000",
        "train",
    )


def test_the_environment_overrides_pyproject(tmp_path: Path) -> None:
    _configure(tmp_path, 'tracking-uri = "http://127.0.0.1:5000"\nexperiment = "churn"')
    environ = {"MLFLOW_TRACKING_URI": "http://127.0.0.1:6000", "MLFLOW_EXPERIMENT_NAME": "other"}
    settings = mlflow_settings(str(tmp_path), environ=environ)
    assert settings is not None
    assert (settings.tracking_uri, settings.experiment_for("train")) == (
        "http://127.0.0.1:6000",
        "other",
    )


def test_a_plain_path_is_relative_to_the_project(tmp_path: Path) -> None:
    _configure(tmp_path, 'tracking-uri = "mlruns"')
    settings = mlflow_settings(str(tmp_path), environ={})
    assert settings is not None and settings.tracking_uri == str(tmp_path / "mlruns")


def test_a_password_in_the_committed_uri_is_refused(tmp_path: Path) -> None:
    _configure(tmp_path, 'tracking-uri = "http://me:secret@127.0.0.1:5000"')
    with pytest.raises(MlflowConfigError, match=r"holds a password.*MLFLOW_TRACKING_PASSWORD"):
        mlflow_settings(str(tmp_path), environ={})


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    _configure(tmp_path, 'tracking_uri = "http://127.0.0.1:5000"')
    with pytest.raises(MlflowConfigError, match="tracking_uri: unknown key"):
        mlflow_settings(str(tmp_path), environ={})


def test_a_uri_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    _configure(tmp_path, "tracking-uri = 5000")
    with pytest.raises(MlflowConfigError, match="tracking-uri: must be a string"):
        mlflow_settings(str(tmp_path), environ={})


def test_without_a_uri_a_run_is_skipped_and_nothing_written(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    outcome = mirror_run(project, make_record())
    assert outcome.status == "skipped"
    assert not (Path(project.repro_dir) / "mirrors").exists()


def test_a_bad_setting_fails_the_mirror_without_raising(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _configure(Path(project.root), "tracking-uri = 5000")
    record = make_record()
    outcome = mirror_run(project, record)
    state = Path(project.repro_dir) / "mirrors" / "mlflow" / f"{record.id}.json"
    assert outcome.status == "failed"
    assert outcome.error is not None and "must be a string" in outcome.error
    assert json.loads(state.read_text())["status"] == "failed"
