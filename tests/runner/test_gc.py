"""What ``repro gc`` keeps, in a real Git repository with branches, a tag,
an old commit and an uncommitted run; and that it never collects under a
run in progress or inside the grace period."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path

import pytest
from gc_testing import History, build_history, closure, run_flow
from pipeline_testing import (
    cli,
    commit_all,
    dedent,
    make_flow_project,
    start_repro,
    wait_for,
)
from repro_testing import git

from repro.lineage.lock import LockInvalidError
from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex
from repro.project import Project
from repro.runner.gc import collect_garbage, kept_runs, parse_duration, run_started
from repro.store.pack import PackWriter


def _executed(record: RunRecord) -> set[str]:
    return {name for name, step in record.steps.items() if step.status == "executed"}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build_history(tmp_path_factory.mktemp("history") / "repo")


@pytest.fixture
def repo(history: History, tmp_path: Path) -> Project:
    return history.copy(tmp_path / "repo")


def _present(project: Project, oids: set[str]) -> bool:
    return not project.store().missing(oids)


def _gone(project: Project, oids: set[str]) -> bool:
    return project.store().missing(oids) == oids


def test_runs_pinned_by_the_work_tree_a_branch_and_a_tag_are_kept(
    repo: Project, history: History
) -> None:
    kept = kept_runs(repo, all_commits=False, keep_days=None)
    runs = history.runs
    assert set(kept.reasons) == {runs["head"], runs["feature"], runs["tagged"]}
    assert kept.reasons[runs["head"]] == "pinned by repro.lock in the work tree"
    assert kept.reasons[runs["feature"]] == "pinned by repro.lock in refs/heads/feature"
    assert kept.reasons[runs["tagged"]] == "pinned by repro.lock in refs/tags/v-tagged"


def test_gc_removes_only_the_objects_of_runs_not_kept(repo: Project, history: History) -> None:
    outcome = collect_garbage(repo, grace_seconds=0)
    for name in ("head", "feature", "tagged"):
        assert _present(repo, history.objects[name]), name
    assert _gone(repo, history.objects["old"] | history.objects["loose"])
    assert outcome.local.removed >= len(history.objects["old"] | history.objects["loose"])


def test_records_of_runs_not_kept_are_forgotten(repo: Project, history: History) -> None:
    outcome = collect_garbage(repo, grace_seconds=0)
    forgotten = {history.runs["old"], history.runs["loose"]}
    assert set(outcome.forgotten) == forgotten
    assert set(RunIndex(repo.repro_dir).ids()) == set(history.runs.values()) - forgotten


def test_a_run_only_in_an_old_commit_is_kept_with_all_commits(
    repo: Project, history: History
) -> None:
    outcome = collect_garbage(repo, all_commits=True, grace_seconds=0)
    assert outcome.kept.reasons[history.runs["old"]].startswith("pinned by repro.lock in commit ")
    assert _present(repo, history.objects["old"])
    assert _gone(repo, history.objects["loose"])


def test_keep_days_keeps_recent_runs_that_no_lock_pins(repo: Project, history: History) -> None:
    outcome = collect_garbage(repo, keep_days=1, grace_seconds=0)
    assert outcome.kept.reasons[history.runs["loose"]] == "started in the last 1 days"
    assert _present(repo, history.objects["loose"] | history.objects["old"])
    none = kept_runs(repo, all_commits=False, keep_days=0, now=time.time() + 1)
    assert history.runs["loose"] not in none


def test_a_dry_run_removes_nothing_and_counts_what_gc_then_removes(repo: Project) -> None:
    cache = Path(repo.cache_dir)
    before = sorted(p.relative_to(cache) for p in cache.rglob("*"))
    records = sorted(os.listdir(RunIndex(repo.repro_dir).folder))
    dry = collect_garbage(repo, dry_run=True, grace_seconds=0)
    assert sorted(p.relative_to(cache) for p in cache.rglob("*")) == before
    assert sorted(os.listdir(RunIndex(repo.repro_dir).folder)) == records
    real = collect_garbage(repo, grace_seconds=0)
    assert dry.local.removed > 0 and dry.local.removed_bytes > 0
    assert (real.local.removed, real.local.removed_bytes) == (
        dry.local.removed,
        dry.local.removed_bytes,
    )
    assert (real.forgotten, real.steps_removed) == (dry.forgotten, dry.steps_removed)


def test_a_pack_of_live_and_dead_objects_is_rewritten(repo: Project, history: History) -> None:
    store = repo.store()
    live = sorted(history.objects["head"])[:2]
    writer = PackWriter(store.backend, store.algorithm)
    for oid in live:
        writer.add(oid, store.read(oid))
    writer.add(store.algorithm.hexdigest(b"dead"), b"dead")
    mixed = writer.finish()
    outcome = collect_garbage(repo, grace_seconds=0)
    assert outcome.local.packs_rewritten >= 1
    fresh = repo.store()
    assert mixed not in fresh.pack_ids()
    assert [fresh.read(oid) for oid in live] == [store.read(oid) for oid in live]


def test_after_gc_every_step_of_the_pinned_run_is_still_cached(repo: Project) -> None:
    collect_garbage(repo, grace_seconds=0)
    assert _executed(run_flow(Path(repo.root), 7)) == set()


def test_step_results_whose_objects_went_are_forgotten_and_run_again(repo: Project) -> None:
    outcome = collect_garbage(repo, grace_seconds=0)
    assert outcome.steps_removed > 0
    assert _executed(run_flow(Path(repo.root), 13)) == {"transform", "total"}


def test_nothing_written_within_the_grace_period_is_removed(repo: Project) -> None:
    store = repo.store()
    stray = store.write(b"an object another project is about to reference")
    outcome = collect_garbage(repo, grace_seconds=parse_duration("1h"))
    assert store.exists(stray) and outcome.local.kept_recent >= 1
    collect_garbage(repo, grace_seconds=0)
    assert not repo.store().exists(stray)


def test_objects_of_a_run_killed_before_its_record_are_kept(repo: Project) -> None:
    store = repo.store()
    finished = store.write(b"the output of a step that finished before the kill")
    index = RunIndex(repo.repro_dir)
    killed = "01zzzzzzzzzzzz"
    index.append_journal(killed, {"step": "first", "outputs": {"out": {"oid": finished}}})
    outcome = collect_garbage(repo, grace_seconds=0)
    assert outcome.kept.reasons[killed] == "in flight or killed before its record"
    assert store.exists(finished)


def test_a_malformed_lock_on_a_branch_stops_gc(repo: Project) -> None:
    root = Path(repo.root)
    git(root, "checkout", "-q", "-b", "broken")
    (root / "repro.lock").write_text("pipelines: [unclosed\n")
    commit_all(root, "broken lock")
    git(root, "checkout", "-q", "main")
    with pytest.raises(LockInvalidError, match=r"repro.lock at refs/heads/broken:\d+: not valid"):
        collect_garbage(repo, grace_seconds=0)


def test_a_project_in_a_subfolder_keeps_the_runs_of_each_branch(git_repo: Path) -> None:
    root = git_repo / "sub"
    root.mkdir()
    make_flow_project(root)
    git(git_repo, "checkout", "-q", "-b", "feature")
    run = run_flow(root, 3).id
    commit_all(root, "lock on feature")
    git(git_repo, "checkout", "-q", "main")
    assert not (root / "repro.lock").exists()
    kept = kept_runs(Project(str(root)), all_commits=False, keep_days=None)
    assert kept.reasons == {run: "pinned by repro.lock in refs/heads/feature"}


def test_a_run_id_gives_its_start_time() -> None:
    from repro.lineage.runs import new_run_id

    assert run_started(new_run_id(1_700_000_000_123)) == 1_700_000_000.123


@pytest.mark.parametrize("text", ["soon", "-1h", "1y"])
def test_a_bad_grace_duration_is_a_usage_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected a duration such as 30s, 15m, 1h or 2d"):
        parse_duration(text)


WAITING = dedent("""
    import time
    from pathlib import Path

    from repro import pipeline, step


    @step
    def first() -> str:
        return "written before gc started, recorded after it was asked to run"


    @step
    def second(value: str) -> str:
        Path("second-started").write_text("yes")
        while not Path("go").exists():
            time.sleep(0.05)
        return value + "!"


    @pipeline
    def waiting() -> None:
        second(first())
""")


def _start_waitingrun_flow(root: Path) -> subprocess.Popen[str]:
    (root / "waiting.py").write_text(WAITING)
    commit_all(root, "waiting pipeline")
    process = start_repro(root, "run", "waiting.py:waiting")
    wait_for(root / "second-started")
    return process


@pytest.mark.slow
def test_gc_waits_for_a_run_in_progress_and_keeps_its_objects(repo: Project) -> None:
    root = Path(repo.root)
    run = _start_waitingrun_flow(root)
    gc = start_repro(root, "gc", "--grace", "0", "--json")
    assert gc.stderr is not None
    ready, _, _ = select.select([gc.stderr], [], [], 60)
    assert ready, "gc neither waited nor finished"
    assert "waiting for another repro run" in gc.stderr.readline()
    assert gc.poll() is None
    (root / "go").write_text("now")
    run.communicate(timeout=60)
    out, err = gc.communicate(timeout=60)
    assert gc.returncode == 0, err
    index = RunIndex(repo.repro_dir)
    [record] = [index.load(r) for r in index.ids() if index.load(r).pipeline == "waiting"]
    assert record.id in json.loads(out)["kept_runs"]
    assert _present(repo, closure(repo, record.id))


def test_gc_no_wait_fails_while_a_run_is_in_progress(repo: Project) -> None:
    root = Path(repo.root)
    run = _start_waitingrun_flow(root)
    try:
        done = cli(root, "gc", "--no-wait")
    finally:
        (root / "go").write_text("now")
        run.communicate(timeout=60)
    assert done.code == 1
    assert done.err.startswith("error: another repro run (pid ")
    assert "--no-wait" in done.err
