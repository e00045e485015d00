"""What a run records and the commands that read it: runs list/show/diff,
checkout of a run, step-exec, models and metrics."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline_testing import cli, commit_all, dedent, edit, run_json
from repro_testing import git


def test_runs_list_json_gives_id_pipeline_commit_and_time(flow: Path) -> None:
    run = run_json(flow)["run"]
    rows = cli(flow, "runs", "list", "--json").json()
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == run and row["pipeline"] == "flow"
    assert row["commit"] == git(flow, "rev-parse", "HEAD").strip()
    assert row["created"].startswith("20")


def test_the_record_holds_pins_params_outputs_and_metrics(flow: Path) -> None:
    run = run_json(flow)["run"]
    record = cli(flow, "runs", "show", run[:6], "--json").json()
    assert record["schema"] == "repro.run/v1"
    assert record["git"]["branch"] == "main" and record["git"]["dirty"] is False
    assert record["params"] == {"factor": 3, "data": "data/rows.csv"}
    assert record["inputs"]["data/rows.csv"]["files"] == 1
    assert record["environment"]["python"].startswith("cpython-")
    total = record["steps"]["total"]
    assert total["metrics"] == {"total": 30.0}
    assert total["outputs"]["output"]["materializer"] == "json"
    assert set(total["fingerprints"]) == {"code", "environment", "inputs", "params"}
    assert record["steps"]["transform"]["code_files"].keys() == {"flow.py", "helpers.py"}


def test_the_lock_pins_the_run(flow: Path) -> None:
    run = run_json(flow)["run"]
    lock = cli(flow, "lock", "schema").json()
    assert "pipelines" in lock["properties"]
    text = (flow / "repro.lock").read_text()
    assert f"run: {run}" in text and "schema: repro.lock/v1" in text


def test_runs_diff_shows_params_metrics_and_outputs(flow: Path) -> None:
    first = run_json(flow)["run"]
    second = run_json(flow, "-p", "factor=4")["run"]
    rows = {r["key"]: r for r in cli(flow, "runs", "diff", first, second, "--json").json()}
    assert rows["param.factor"]["a"] == "3" and rows["param.factor"]["b"] == "4"
    assert rows["metric.total.total"] == {
        "key": "metric.total.total",
        "a": 30.0,
        "b": 40.0,
        "same": False,
    }
    assert rows["output.load.output"]["same"] is True
    assert rows["output.total.output"]["same"] is False
    text = cli(flow, "runs", "diff", first, second).out
    assert "* param.factor" in text


def test_checkout_of_a_run_restores_data_and_writes_outputs(flow: Path) -> None:
    run = run_json(flow)["run"]
    commit_all(flow, "lock")
    edit(flow / "data/rows.csv", "\n1\n", "\n100\n")
    refused = cli(flow, "checkout", run)
    assert refused.code == 1 and "--force" in refused.err
    result = cli(flow, "checkout", run, "--force", "--json")
    assert result.code == 0, result
    assert (flow / "data/rows.csv").read_text() == "value\n1\n2\n3\n4\n"
    total = flow / "outputs" / run / "total" / "output"
    assert json.loads(total.read_text()) == 30.0


def test_models_register_the_chosen_output_as_a_version(flow: Path) -> None:
    edit(
        flow / "flow.py",
        "@pipeline\ndef flow(",
        '@pipeline(model=Model("summary", step="describe"))\ndef flow(',
    )
    edit(flow / "flow.py", "from repro import Dataset,", "from repro import Dataset, Model,")
    run = run_json(flow)["run"]
    record = cli(flow, "runs", "show", run, "--json").json()
    version = record["steps"]["describe"]["outputs"]["output"]["oid"]
    assert record["models"] == [
        {"name": "summary", "version": version, "step": "describe", "output": "output"}
    ]
    assert f"model  summary version {version}" in cli(flow, "runs", "show", run).out


def test_an_estimator_output_becomes_the_model_version(git_repo: Path) -> None:
    (git_repo / "model.py").write_text(
        dedent("""
        from sklearn.linear_model import LinearRegression

        from repro import Model, pipeline, step


        @step
        def fit(points: list) -> LinearRegression:
            xs = [[x] for x, _ in points]
            ys = [y for _, y in points]
            return LinearRegression().fit(xs, ys)


        @step
        def score(model: LinearRegression) -> float:
            return round(float(model.coef_[0]), 6)


        @pipeline(model=Model(name="line"))
        def trained(points: list = [[0, 1], [1, 3], [2, 5]]) -> None:
            score(fit(points))
    """)
    )
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "model")
    run = run_json(git_repo, "model.py:trained")["run"]
    record = cli(git_repo, "runs", "show", run, "--json").json()
    fitted = record["steps"]["fit"]["outputs"]["output"]
    assert fitted["materializer"] == "sklearn.skops"
    assert record["models"][0]["name"] == "line"
    assert record["models"][0]["version"] == fitted["oid"]
    replay = cli(git_repo, "replay", run, "--verify")
    assert replay.code == 0, replay


def test_step_exec_runs_one_step_of_a_recorded_run(flow: Path) -> None:
    edit(flow / "flow.py", "    result = float(sum(values))", "    result = float(sum(values)) / 0")
    failed = cli(flow, "run", "--json")
    assert failed.code == 1
    run = failed.json()["run"]
    edit(flow / "flow.py", "float(sum(values)) / 0", "float(sum(values))")
    result = cli(flow, "step-exec", run[:9], "total")
    assert result.code == 0, result
    outcome = json.loads(result.out)
    assert outcome["status"] == "executed" and outcome["metrics"] == {"total": 30.0}
    assert outcome["outputs"]["output"]["materializer"] == "json"
    again = cli(flow, "step-exec", run, "nope")
    assert again.code == 1 and "has no step 'nope'" in again.err


def test_step_exec_reports_a_failing_step(flow: Path, tmp_path: Path) -> None:
    edit(flow / "flow.py", "    result = float(sum(values))", "    result = float(sum(values)) / 0")
    run = cli(flow, "run", "--json").json()["run"]
    out = tmp_path / "result.json"
    result = cli(flow, "step-exec", run, "total", "--result", str(out))
    assert result.code == 1
    assert "ZeroDivisionError" in json.loads(out.read_text())["error"]


def test_checkout_of_a_tree_without_dest_is_a_usage_error(flow: Path) -> None:
    result = cli(flow, "checkout", "0" * 32)
    assert result.code == 2
    assert "DEST" in result.err


def test_the_lock_is_readable_by_everyone_like_any_committed_file(flow: Path) -> None:
    run_json(flow)
    assert (flow / "repro.lock").stat().st_mode & 0o777 == 0o644
