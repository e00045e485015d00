"""log_params, log_tags, log_artifact, @step(tags=) and `repro run --tag`:
what a step reports reaches its record, a cached step reports it again,
and the artifacts travel with the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pipeline_testing import cli, commit_all, edit, make_flow_project, run_json
from repro_testing import git

from repro.tracking import (
    InvalidTrackingValueError,
    log_artifact,
    log_params,
    log_tags,
    step_context,
)

TRACKED = """
from repro import log_artifact, log_params, log_tags


@step(tags={"stage": "features"})
def report(values: list) -> int:
    log_params(threshold=0.5, layers=[1, 2])
    log_tags(kind="summary")
    Path("summary.txt").write_text(f"{len(values)} rows\\n")
    log_artifact(Path("summary.txt"))
    log_artifact({"rows": len(values)}, name="stats")
    return len(values)
"""


@pytest.fixture
def tracked(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root, commit=False)
    edit(root / "flow.py", "\n\n@pipeline", TRACKED + "\n\n@pipeline")
    edit(root / "flow.py", "    describe(values)", "    describe(values)\n    report(values)")
    (root / ".gitignore").write_text("summary.txt\n")
    commit_all(root, "a step that logs")
    return root


def _record(root: Path, run: str) -> dict[str, Any]:
    return dict(json.loads((root / ".repro" / "runs" / f"{run}.json").read_text()))


def test_a_step_logs_params_tags_and_artifacts(tracked: Path) -> None:
    doc = run_json(tracked, "--tag", "team=ml")
    record = _record(tracked, doc["run"])
    step = record["steps"]["report"]
    assert step["logged_params"] == {"threshold": 0.5, "layers": [1, 2]}
    assert step["tags"] == {"stage": "features", "kind": "summary"}
    assert set(step["artifacts"]) == {"summary.txt", "stats"}
    assert step["artifacts"]["stats"]["materializer"] == "json"
    assert record["tags"] == {"team": "ml"}
    shown = cli(tracked, "checkout", step["artifacts"]["summary.txt"]["oid"], "kept")
    assert shown.code == 0, shown
    assert (tracked / "kept" / "summary.txt").read_text() == "4 rows\n"


def test_a_cached_step_reports_what_it_logged(tracked: Path) -> None:
    first = run_json(tracked)
    second = run_json(tracked, "--tag", "again=yes")  # a tagged run is recorded
    assert second["run"] != first["run"]
    step = _record(tracked, second["run"])["steps"]["report"]
    assert step["status"] == "cached"
    assert step["logged_params"]["threshold"] == 0.5
    assert "stats" in step["artifacts"]


def test_steps_that_log_nothing_keep_their_record_bytes(tracked: Path) -> None:
    record = _record(tracked, run_json(tracked)["run"])
    assert not {"logged_params", "tags", "artifacts"} & set(record["steps"]["load"])


def test_outside_a_run_values_are_checked_then_dropped() -> None:
    log_params(rate=0.1)
    log_tags(stage="x")
    assert log_artifact({"a": 1}, name="a") is None
    with pytest.raises(InvalidTrackingValueError, match="not a JSON value"):
        log_params(model=object())
    with pytest.raises(InvalidTrackingValueError, match="must be text"):
        log_tags(stage=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidTrackingValueError, match="give a name"):
        log_artifact({"a": 1})


def test_inside_a_step_context_the_last_value_wins() -> None:
    with step_context("s", lambda value: {"oid": "x" * 32}) as context:
        log_params({"a": 1}, b=2)
        log_params(a=3)
        assert log_artifact([1, 2], name="list") == "x" * 32
    assert context.params == {"a": 3, "b": 2}
    assert context.artifacts == {"list": {"oid": "x" * 32}}


def test_a_bad_run_tag_is_a_usage_error(tracked: Path) -> None:
    result = cli(tracked, "run", "--tag", "novalue")
    assert result.code == 2 and "KEY=VALUE" in result.err


def test_secrets_in_logged_params_and_tags_are_masked(tracked: Path) -> None:
    edit(
        tracked / "flow.py",
        "    log_params(threshold=0.5, layers=[1, 2])",
        '    log_params(threshold=0.5, layers=[1, 2], db_password="hunter2",\n'
        '               dsn="postgresql://bob:hunter2@db/x")\n'
        '    log_tags(api_token="hunter2")',
    )
    commit_all(tracked, "log a secret")
    doc = run_json(tracked, "--tag", "password=hunter2")
    text = (tracked / ".repro" / "runs" / f"{doc['run']}.json").read_text()
    assert "hunter2" not in text
    step = _record(tracked, doc["run"])["steps"]["report"]
    assert step["logged_params"]["threshold"] == 0.5
    assert step["logged_params"]["dsn"] == "postgresql://db/x"
