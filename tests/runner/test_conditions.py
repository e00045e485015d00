"""`with repro.when(output):` runs steps only when an upstream boolean
output is true; when it is false they are recorded as skipped with the
reason, the run succeeds, the lock remembers the skip and status agrees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pipeline_testing import cli, commit_all, run_json, statuses

GATED = """
from repro import pipeline, step, when


@step
def measure(level: int) -> int:
    return level


@step
def over(value: int, limit: int) -> bool:
    return value > limit


@step
def retrain(value: int) -> int:
    return value * 10


@step
def publish(model: int) -> str:
    return f"model {model}"


@step
def always(value: int) -> int:
    return value + 1


@pipeline
def gated(level: int = 5, limit: int = 3) -> None:
    value = measure(level)
    drift = over(value, limit=limit)
    with when(drift):
        model = retrain(value)
    publish(model)
    always(value)
"""


@pytest.fixture
def gated(git_repo: Path) -> Path:
    (git_repo / "gated.py").write_text(GATED)
    (git_repo / "pyproject.toml").write_text('[tool.repro.pipelines]\ngated = "gated.py:gated"\n')
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "a gated pipeline")
    return git_repo


def _record(root: Path, run: str) -> dict[str, Any]:
    return dict(json.loads((root / ".repro" / "runs" / f"{run}.json").read_text()))


def test_a_true_condition_runs_the_steps(gated: Path) -> None:
    doc = run_json(gated)
    assert doc["status"] == "succeeded"
    assert set(statuses(doc).values()) == {"executed"}


def test_a_false_condition_skips_them_and_the_run_succeeds(gated: Path) -> None:
    doc = run_json(gated, "-p", "limit=9")
    assert doc["status"] == "succeeded"
    assert statuses(doc) == {
        "measure": "executed",
        "over": "executed",
        "retrain": "skipped",
        "publish": "skipped",
        "always": "executed",
    }
    steps = _record(gated, doc["run"])["steps"]
    assert steps["retrain"]["reason"] == "the condition of step 'over' is false"
    assert "upstream step 'retrain' was skipped" in steps["publish"]["reason"]


def test_the_lock_remembers_the_skip_and_status_is_fresh(gated: Path) -> None:
    run_json(gated, "-p", "limit=9")
    assert "skipped:" in (gated / "repro.lock").read_text()
    status = cli(gated, "status", "-p", "limit=9", "--exit-code")
    assert status.code == 0, status
    again = run_json(gated, "-p", "limit=9")
    assert again["status"] == "up-to-date"  # the quick no-op: every pin holds


def test_the_condition_turning_true_runs_the_steps(gated: Path) -> None:
    run_json(gated, "-p", "limit=9")
    doc = run_json(gated, "-p", "limit=1")
    assert statuses(doc)["retrain"] == "executed"
    assert statuses(doc)["measure"] == "cached"


def test_a_condition_that_is_no_bool_fails_the_run(gated: Path) -> None:
    text = (gated / "gated.py").read_text().replace("with when(drift)", "with when(value)")
    (gated / "gated.py").write_text(text)
    result = cli(gated, "run", "--json")
    assert result.code == 1
    doc = result.json()
    record = _record(gated, doc["run"])
    assert "is a int, not a bool" in record["steps"]["retrain"]["reason"]


def test_when_outside_a_pipeline_is_an_error(gated: Path) -> None:
    from repro import when
    from repro.pipelines.graph import NotInPipelineError

    with pytest.raises(NotInPipelineError, match="inside a @pipeline"), when(None):  # type: ignore[arg-type]
        pass


def test_when_on_something_else_than_an_output_is_an_error(gated: Path) -> None:
    text = (gated / "gated.py").read_text().replace("with when(drift)", "with when(True)")
    (gated / "gated.py").write_text(text)
    result = cli(gated, "run")
    assert result.code == 2
    assert "give one output of a step" in result.err


def test_a_condition_with_no_single_truth_fails_the_run_in_one_line(gated: Path) -> None:
    text = (gated / "gated.py").read_text()
    text = text.replace(
        "def over(value: int, limit: int) -> bool:\n    return value > limit",
        "def over(value: int, limit: int) -> object:\n"
        "    import numpy\n\n    return numpy.array([True, False])",
    )
    (gated / "gated.py").write_text(text)
    result = cli(gated, "run", "--json")
    assert result.code == 1 and "Traceback" not in result.err
    record = _record(gated, result.json()["run"])
    assert "is a ndarray, not a bool" in record["steps"]["retrain"]["reason"]
