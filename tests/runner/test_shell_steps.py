"""Shell steps: any language, declared deps and outs, outs snapshotted and
restored from the store when the step is cached."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline_testing import cli, commit_all, edit, executed, run_json, statuses

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shell"


def _example(git_repo: Path) -> Path:
    shutil.copytree(EXAMPLE, git_repo, dirs_exist_ok=True)
    commit_all(git_repo, "shell example")
    return git_repo


def test_the_shell_example_runs_and_snapshots_its_outs(git_repo: Path) -> None:
    root = _example(git_repo)
    doc = run_json(root)
    assert statuses(doc) == {"count": "executed", "summarize": "executed"}
    assert (root / "report" / "summary.json").read_text().startswith('{"lines": 3')
    shown = cli(root, "runs", "show", doc["run"], "--json").json()
    outs = shown["steps"]["count"]["outputs"]
    assert outs["build/counts.tsv"]["materializer"] == "file"
    assert shown["steps"]["summarize"]["outputs"]["report"]["materializer"] == "path"


def test_a_cached_shell_step_restores_its_outs_for_the_next_step(git_repo: Path) -> None:
    root = _example(git_repo)
    run_json(root)
    shutil.rmtree(root / "build")
    doc = run_json(root, "-p", "min_words=5")
    assert statuses(doc) == {"count": "cached", "summarize": "executed"}
    assert (root / "build" / "counts.tsv").read_text().startswith("1\t")


def test_editing_a_script_reruns_its_step(git_repo: Path) -> None:
    root = _example(git_repo)
    run_json(root)
    edit(root / "scripts" / "summarize.py", '"words": sum(counts)', '"words": sum(counts) + 0')
    assert executed(run_json(root)) == {"summarize"}


def test_a_failing_command_fails_the_step(git_repo: Path) -> None:
    root = _example(git_repo)
    edit(root / "scripts" / "count.sh", "set -euo pipefail", "set -euo pipefail\nexit 3")
    result = cli(root, "run", "--json")
    assert result.code == 1
    steps = {s["name"]: s for s in result.json()["steps"]}
    assert "exited with status 3" in steps["count"]["error"]
    assert steps["summarize"]["status"] == "skipped"


def test_a_missing_out_fails_the_step(git_repo: Path) -> None:
    root = _example(git_repo)
    edit(root / "scripts" / "count.sh", "> build/counts.tsv", "> build/other.tsv")
    result = cli(root, "run", "--json")
    assert result.code == 1
    steps = {s["name"]: s for s in result.json()["steps"]}
    assert "did not write build/counts.tsv" in steps["count"]["error"]


def test_replay_of_a_shell_pipeline_is_identical(git_repo: Path) -> None:
    root = _example(git_repo)
    run = run_json(root)["run"]
    result = cli(root, "replay", run, "--verify")
    assert result.code == 0, result
    assert "identical" in result.out


def test_deleted_outs_are_not_a_no_op_and_come_back(git_repo: Path) -> None:
    root = _example(git_repo)
    run_json(root)
    shutil.rmtree(root / "report")
    doc = run_json(root)
    # The outs are put back from the store; every pin is the locked run's,
    # so that run stands and no new one is recorded.
    assert doc["status"] == "up-to-date"
    assert set(statuses(doc).values()) == {"cached"}
    assert (root / "report" / "summary.json").exists()


def test_an_out_edited_by_hand_is_kept_in_the_store_before_the_rerun(git_repo: Path) -> None:
    root = _example(git_repo)
    run_json(root)
    (root / "build" / "counts.tsv").write_text("hand edit\n")
    edit(root / "scripts" / "count.sh", "print NR", "print NR ")
    run_json(root)
    snapshot = cli(root, "snapshot", "--no-store", "--json", "build/counts.tsv")
    assert snapshot.code == 0
    (root / "build" / "counts.tsv").write_text("hand edit\n")
    tree = cli(root, "snapshot", "--no-store", "--json", "build/counts.tsv").json()["tree"]
    fsck = cli(root, "checkout", tree, str(root / "restored"))
    assert fsck.code == 0, fsck  # the hand-edited version is in the store
    assert (root / "restored" / "counts.tsv").read_text() == "hand edit\n"


def test_a_cached_step_keeps_a_hand_edited_out_before_restoring_it(git_repo: Path) -> None:
    root = _example(git_repo)
    run_json(root)
    (root / "report" / "summary.json").write_text("hand edit\n")
    result = cli(root, "run", "--explain", "-p", "min_words=10")
    assert result.code == 0, result
    assert (root / "report" / "summary.json").read_text().startswith('{"lines"')
    kept = result.out.split("the previous report is kept as tree ")[1].split()[0]
    back = cli(root, "checkout", kept, str(root / "back"))
    assert back.code == 0, back
    assert (root / "back" / "summary.json").read_text() == "hand edit\n"
