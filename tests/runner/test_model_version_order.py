"""The output a run registers as its model version is chosen in definition
order, whatever step finished last (two estimators, run in parallel)."""

from __future__ import annotations

from pathlib import Path

from pipeline_testing import cli, commit_all, run_json

TWO = """
import time

from sklearn.linear_model import LinearRegression

from repro import Model, pipeline, step


@step
def slow(seed: int) -> LinearRegression:
    time.sleep(1.5)
    return LinearRegression().fit([[0.0], [1.0]], [0.0, float(seed)])


@step
def fast(seed: int) -> LinearRegression:
    return LinearRegression().fit([[0.0], [1.0]], [1.0, float(seed)])


@pipeline(model=Model(name="m"))
def two(seed: int = 3) -> None:
    slow(seed)
    fast(seed)
"""


def test_the_last_defined_estimator_is_the_version_however_steps_finish(git_repo: Path) -> None:
    (git_repo / "two.py").write_text(TWO)
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "two estimators")
    for jobs in ("1", "2"):
        doc = run_json(git_repo, "two.py:two", "-j", jobs, "--no-cache")
        shown = cli(git_repo, "runs", "show", doc["run"], "--json").json()
        assert shown["models"][0]["step"] == "fast", jobs
