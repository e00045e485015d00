"""``repro replay``: the recorded commit (and diff), data and params,
re-executed with the cache off, every output id compared."""

from __future__ import annotations

from pathlib import Path

from pipeline_testing import cli, commit_all, dedent, edit, run_json
from repro_testing import git


def _replay(flow: Path, run: str, *args: str) -> dict:
    result = cli(flow, "replay", run, "--json", *args)
    assert result.code in (0, 1), result
    doc: dict = result.json()
    doc["exit"] = result.code
    return doc


def test_replay_after_later_commits_reproduces_the_original_ids(flow: Path) -> None:
    first = run_json(flow)
    commit_all(flow, "lock")
    edit(flow / "helpers.py", "value * factor", "value * factor + 7")
    edit(flow / "data/rows.csv", "\n2\n", "\n20\n")
    later = run_json(flow)
    commit_all(flow, "later")
    assert later["run"] != first["run"]
    doc = _replay(flow, first["run"], "--verify")
    assert doc["exit"] == 0
    assert doc["verdict"] == "identical"
    assert set(doc["steps"].values()) == {"identical"}
    # The work tree was not touched by the replay.
    assert "+ 7" in (flow / "helpers.py").read_text()
    assert git(flow, "status", "--porcelain") == ""


def test_the_replay_is_recorded_and_linked_to_the_original(flow: Path) -> None:
    first = run_json(flow)
    doc = _replay(flow, first["run"][:8])
    shown = cli(flow, "runs", "show", doc["run"], "--json").json()
    assert shown["replay_of"] == first["run"]
    assert shown["verification"]["verdict"] == "identical"
    listed = {row["id"]: row for row in cli(flow, "runs", "list", "--json").json()}
    assert listed[doc["run"]]["replay_of"] == first["run"]


def test_replay_of_a_run_made_on_a_dirty_tree(flow: Path) -> None:
    edit(flow / "helpers.py", "value * factor", "value * factor - 1")
    (flow / "extra.py").write_text("NOTE = 'untracked file'\n")
    dirty = run_json(flow)
    shown = cli(flow, "runs", "show", dirty["run"], "--json").json()
    assert shown["git"]["dirty"] is True and shown["git"]["diff"]
    git(flow, "checkout", "--", "helpers.py")
    (flow / "extra.py").unlink()
    doc = _replay(flow, dirty["run"], "--verify")
    assert doc["exit"] == 0, doc
    assert doc["verdict"] == "identical"


def test_a_nondeterministic_step_fails_verify_and_is_named(flow: Path) -> None:
    (flow / "noisy.py").write_text(
        dedent("""
        import random

        from repro import pipeline, step


        @step
        def stable() -> int:
            return 42


        @step
        def sample(seed: int) -> float:
            return random.random() + seed


        @pipeline
        def noisy() -> None:
            sample(stable())
    """)
    )
    commit_all(flow, "noisy")
    first = run_json(flow, "noisy.py:noisy")
    doc = _replay(flow, first["run"], "--verify")
    assert doc["exit"] == 1
    assert doc["verdict"] == "different"
    assert doc["steps"] == {"stable": "identical", "sample": "different"}
    assert doc["first_divergence"] == "sample"
    assert "nondeterministic" in doc["explanation"]


def test_verify_failure_prints_the_diverging_step(flow: Path) -> None:
    (flow / "clock.py").write_text(
        dedent("""
        import time

        from repro import pipeline, step


        @step
        def now() -> float:
            return time.time()


        @pipeline
        def clock() -> None:
            now()
    """)
    )
    commit_all(flow, "clock")
    run = run_json(flow, "clock.py:clock")["run"]
    result = cli(flow, "replay", run, "--verify")
    assert result.code == 1
    assert "different  now" in result.out
    assert "step 'now' is nondeterministic" in result.err


def test_keep_leaves_the_worktree(flow: Path) -> None:
    run = run_json(flow)["run"]
    doc = _replay(flow, run, "--keep")
    worktree = Path(doc["worktree"])
    try:
        assert (worktree / "flow.py").exists()
        assert str(worktree) in git(flow, "worktree", "list")
    finally:
        git(flow, "worktree", "remove", "--force", str(worktree))


def test_the_worktree_is_removed_by_default(flow: Path) -> None:
    run = run_json(flow)["run"]
    _replay(flow, run)
    assert len(git(flow, "worktree", "list").strip().splitlines()) == 1


def test_an_in_process_replay_imports_the_recorded_helpers(flow: Path) -> None:
    from repro.project import Project
    from repro.runner.replay import replay_run
    from repro.runner.run import RunOptions, run_target
    from repro.runner.targets import Target

    project = Project(str(flow))
    first = run_target(project, Target("flow.py", "flow"), RunOptions())
    commit_all(flow, "lock")
    edit(flow / "helpers.py", "value * factor", "value * factor + 5")
    later = run_target(project, Target("flow.py", "flow"), RunOptions())
    assert later.record.steps["transform"].status == "executed"
    commit_all(flow, "later")
    outcome = replay_run(project, first.record.id)
    assert outcome.verification.verdict == "identical", outcome.verification


def test_replay_never_writes_to_data_behind_a_symlink_out_of_the_project(
    flow: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "rows.csv").write_text("value\n1\n2\n")
    (flow / "data" / "rows.csv").unlink()
    (flow / "data").rmdir()
    (flow / "data").symlink_to(outside)
    commit_all(flow, "data lives elsewhere")
    first = run_json(flow)["run"]
    (outside / "rows.csv").write_text("value\n7\n")
    (outside / "notes.txt").write_text("mine")
    doc = _replay(flow, first, "--verify")
    assert doc["exit"] == 0, doc
    assert (outside / "rows.csv").read_text() == "value\n7\n"
    assert (outside / "notes.txt").read_text() == "mine"


def test_steps_run_in_the_worktree_not_the_callers_folder(flow: Path) -> None:
    (flow / "cwd.py").write_text(
        dedent("""
        from pathlib import Path

        from repro import pipeline, step


        @step
        def report() -> str:
            text = Path("note.txt").read_text()
            Path("report.txt").write_text(text.upper())
            return text


        @pipeline
        def cwd() -> None:
            report()
    """)
    )
    (flow / "note.txt").write_text("first")
    (flow / "sub").mkdir()
    commit_all(flow, "cwd")
    result = cli(flow / "sub", "run", "cwd.py:cwd", "--json")
    assert result.code == 0, result
    run = result.json()["run"]
    (flow / "note.txt").write_text("second")
    (flow / "report.txt").write_text("MINE")
    commit_all(flow, "second note")
    doc = _replay(flow, run, "--verify")
    assert doc["exit"] == 0, doc  # read the recorded commit's note.txt
    assert (flow / "report.txt").read_text() == "MINE"


def test_an_in_process_run_after_a_replay_imports_todays_helpers(flow: Path) -> None:
    from repro.project import Project
    from repro.runner.replay import replay_run
    from repro.runner.run import RunOptions, run_target
    from repro.runner.targets import Target

    project = Project(str(flow))
    first = run_target(project, Target("flow.py", "flow"), RunOptions())
    commit_all(flow, "lock")
    edit(flow / "helpers.py", "value * factor", "value * factor + 5")
    commit_all(flow, "later")
    replay_run(project, first.record.id)
    after = run_target(project, Target("flow.py", "flow"), RunOptions())
    assert after.record.steps["transform"].status == "executed"
    assert "helpers.py" in after.record.steps["transform"].code_files
