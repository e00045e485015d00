"""`repro run --if-changed`: nothing runs while the locked inputs are still
the data; a data drop runs the pipeline."""

from __future__ import annotations

from pathlib import Path

from pipeline_testing import cli, edit, run_json


def _runs(root: Path) -> list[Path]:
    return sorted((root / ".repro" / "runs").glob("*.json"))


def test_unchanged_inputs_run_nothing(flow: Path) -> None:
    first = run_json(flow)
    before = _runs(flow)
    doc = run_json(flow, "--if-changed")
    assert doc["status"] == "unchanged" and doc["run"] == first["run"]
    assert _runs(flow) == before
    text = cli(flow, "run", "--if-changed")
    assert text.code == 0 and f"inputs unchanged since run {first['run']}" in text.out


def test_a_data_drop_runs_the_pipeline(flow: Path) -> None:
    first = run_json(flow)
    with (flow / "data" / "rows.csv").open("a") as file:
        file.write("5\n")
    doc = run_json(flow, "--if-changed")
    assert doc["status"] == "succeeded" and doc["run"] != first["run"]


def test_a_code_change_alone_is_not_a_reason(flow: Path) -> None:
    run_json(flow)
    edit(flow / "helpers.py", "value * factor", "factor * value")
    assert run_json(flow, "--if-changed")["status"] == "unchanged"


def test_a_pipeline_never_run_runs(flow: Path) -> None:
    assert run_json(flow, "--if-changed")["status"] == "succeeded"


def test_other_params_are_a_run_of_their_own(flow: Path) -> None:
    run_json(flow)
    assert run_json(flow, "--if-changed", "-p", "factor=5")["status"] == "succeeded"


def test_a_fresh_clone_answers_from_the_committed_lock(flow: Path, tmp_path: Path) -> None:
    from pipeline_testing import commit_all
    from repro_testing import git

    first = run_json(flow)
    commit_all(flow, "lock")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(flow), str(clone))
    (clone / "data").mkdir(exist_ok=True)
    (clone / "data" / "rows.csv").write_text((flow / "data" / "rows.csv").read_text())
    doc = run_json(clone, "--if-changed")
    assert doc["status"] == "unchanged" and doc["run"] == first["run"]
