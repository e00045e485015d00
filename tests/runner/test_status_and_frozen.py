"""``repro status`` and ``repro run --frozen`` judge the committed lock:
nothing is written, and each stale step says which component changed."""

from __future__ import annotations

from pathlib import Path

from pipeline_testing import cli, commit_all, edit, run_json, statuses


def _stale(flow: Path, *args: str) -> dict[str, list[str]]:
    result = cli(flow, "status", "--json", *args)
    assert result.code == 0, result
    return {s["name"]: s["reasons"] for s in result.json()["steps"] if s["status"] != "fresh"}


def test_status_is_fresh_after_a_run(flow: Path) -> None:
    run_json(flow)
    result = cli(flow, "status", "--exit-code")
    assert result.code == 0, result
    assert "flow: fresh" in result.out


def test_status_names_the_changed_code_file(flow: Path) -> None:
    run_json(flow)
    edit(flow / "helpers.py", "value * factor", "value * factor * 1")
    stale = _stale(flow)
    assert stale["transform"] == ["code changed (helpers.py)"]
    assert stale["total"] == ["upstream step 'transform' is stale"]
    assert "load" not in stale and "describe" not in stale


def test_status_names_changed_data_and_params(flow: Path) -> None:
    run_json(flow)
    edit(flow / "data/rows.csv", "\n4\n", "\n40\n")
    stale = _stale(flow, "-p", "factor=4")
    assert stale["load"] == ["input 'path' changed (data data/rows.csv)"]
    run_json(flow)
    stale = _stale(flow, "-p", "factor=4")
    assert stale == {
        "transform": ["param factor: 3 -> 4"],
        "total": ["upstream step 'transform' is stale"],
    }


def test_status_exit_code_is_one_when_stale(flow: Path) -> None:
    run_json(flow)
    edit(flow / "flow.py", "result = float(sum(values))", "result = float(sum(values)) + 0")
    assert cli(flow, "status", "--exit-code").code == 1


def test_status_without_a_lock_calls_every_step_new(flow: Path) -> None:
    stale = _stale(flow)
    assert set(stale) == {"load", "transform", "total", "describe"}
    assert stale["load"] == ["new step: not in repro.lock"]


def test_frozen_passes_on_a_fresh_lock_and_writes_nothing(flow: Path) -> None:
    run_json(flow)
    commit_all(flow, "lock")
    runs_before = sorted((flow / ".repro" / "runs").iterdir())
    result = cli(flow, "run", "--frozen")
    assert result.code == 0, result
    assert sorted((flow / ".repro" / "runs").iterdir()) == runs_before


def test_frozen_fails_on_a_stale_lock_and_lists_why(flow: Path) -> None:
    run_json(flow)
    commit_all(flow, "lock")
    lock_before = (flow / "repro.lock").read_bytes()
    edit(flow / "helpers.py", "value * factor", "value * factor * 2")
    result = cli(flow, "run", "--frozen")
    assert result.code == 1
    assert "stale    transform: code changed (helpers.py)" in result.out
    assert (flow / "repro.lock").read_bytes() == lock_before
    steps_dir = flow / ".repro" / "steps"
    cached = sum(1 for _ in steps_dir.rglob("*.json"))
    assert cached == 4  # nothing executed


def test_frozen_in_a_fresh_clone_is_judged_on_the_lock_alone(flow: Path, tmp_path: Path) -> None:
    run_json(flow)
    commit_all(flow, "lock")
    clone = tmp_path / "clone"
    from repro_testing import git

    git(tmp_path, "clone", "-q", str(flow), str(clone))
    result = cli(clone, "run", "--frozen", "--json")
    assert result.code == 0, result
    assert set(statuses(result.json()).values()) == {"fresh"}


def test_explain_says_why_each_step_ran(flow: Path) -> None:
    run_json(flow)
    edit(flow / "helpers.py", "value * factor", "factor * value * 1")
    result = cli(flow, "run", "--explain")
    assert result.code == 0, result
    assert "executed transform" in " ".join(result.out.split())
    assert "code changed (helpers.py)" in result.out
