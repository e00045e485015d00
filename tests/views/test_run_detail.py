"""The run detail over the quickstart's story: pins, steps in definition
order with their cache decisions, outputs with previews, metrics, logs, the
DAG, and replays in both directions. Records with other facts (a dirty tree,
a log, a divergent replay) are copies of real ones saved in a copied project."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from ui_testing import QUICKSTART_STEPS, Quickstart

from repro.lineage.records import GitRecord, RunRecord, Verification
from repro.lineage.runs import AmbiguousRunError, RunIndex, UnknownRunError, new_run_id
from repro.project import Project
from repro.views.previews import EstimatorPreview, NotePreview, TablePreview
from repro.views.run_detail import LOG_LIMIT, MAX_REPLAYS, ReplayView, run_detail

STEPS = list(QUICKSTART_STEPS)


def _record(quickstart: Quickstart, run: str) -> RunRecord:
    return RunIndex(quickstart.project.repro_dir).load(run)


def _copy(quickstart: Quickstart, tmp_path: Path) -> Project:
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    return Project(str(root))


def _save(project: Project, record: RunRecord, **update: Any) -> str:
    copy = record.model_copy(update={"id": new_run_id(), **update})
    RunIndex(project.repro_dir).save(copy)
    return copy.id


def _with_log(record: RunRecord, step: str, oid: str) -> dict[str, Any]:
    steps = dict(record.steps)
    steps[step] = steps[step].model_copy(update={"log": oid})
    return {"steps": steps}


def _unique_prefix(run: str, runs: list[str]) -> str:
    return next(
        run[:n] for n in range(1, 15) if [r for r in runs if r.startswith(run[:n])] == [run]
    )


def _files(root: str) -> dict[str, tuple[int, int]]:
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            stat = os.stat(os.path.join(folder, name))
            found[os.path.join(folder, name)] = (stat.st_size, stat.st_mtime_ns)
    return found


def test_a_unique_prefix_names_the_run(ui_quickstart: Quickstart) -> None:
    runs = [ui_quickstart.first, ui_quickstart.replay, ui_quickstart.retrain]
    prefix = _unique_prefix(ui_quickstart.retrain, runs)
    assert run_detail(ui_quickstart.project, prefix).id == ui_quickstart.retrain


def test_an_unknown_run_is_an_error(ui_quickstart: Quickstart) -> None:
    with pytest.raises(UnknownRunError, match="no run matches 'zzzz'"):
        run_detail(ui_quickstart.project, "zzzz")


def test_a_prefix_of_several_runs_is_an_error(ui_quickstart: Quickstart) -> None:
    with pytest.raises(AmbiguousRunError, match="give more characters"):
        run_detail(ui_quickstart.project, "0")


def test_the_pins_are_the_records(ui_quickstart: Quickstart) -> None:
    record = _record(ui_quickstart, ui_quickstart.retrain)
    pins = run_detail(ui_quickstart.project, ui_quickstart.retrain).pins
    assert (pins.git.commit, pins.git.branch, pins.git.dirty) == (record.git.commit, "main", False)
    assert pins.environment.oid == record.environment.oid
    assert dict(pins.environment.distributions) == record.environment.distributions


def test_the_data_snapshots_have_uri_id_files_and_bytes(ui_quickstart: Quickstart) -> None:
    record = _record(ui_quickstart, ui_quickstart.retrain)
    snapshots = run_detail(ui_quickstart.project, ui_quickstart.retrain).pins.snapshots
    shown = {(s.uri, s.oid, s.kind, s.files, s.bytes) for s in snapshots}
    assert shown == {(s.uri, s.oid, s.kind, s.files, s.bytes) for s in record.inputs.values()}
    assert ("data/drops/", "folder", 2) in {(s.uri, s.kind, s.files) for s in snapshots}


def test_params_are_json_and_masked_ones_say_so(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    project = _copy(ui_quickstart, tmp_path)
    record = _record(ui_quickstart, ui_quickstart.first)
    params = {**record.params, "token": "***"}
    run = _save(project, record, params=params, masked_params=["token"])
    shown = {p.name: (p.value, p.masked) for p in run_detail(project, run).pins.params}
    assert shown["data"] == ('"data/housing.csv"', False)
    assert shown["n_estimators"] == ("100", False)
    assert shown["token"][1] is True


def test_steps_come_in_definition_order(ui_quickstart: Quickstart) -> None:
    steps = run_detail(ui_quickstart.project, ui_quickstart.retrain).steps
    assert [step.name for step in steps] == STEPS


def test_a_cached_step_names_the_run_it_reused(ui_quickstart: Quickstart) -> None:
    steps = {s.name: s for s in run_detail(ui_quickstart.project, ui_quickstart.retrain).steps}
    assert steps["ingest_data"].status == "cached"
    assert steps["ingest_data"].cached_from == ui_quickstart.replay
    assert (
        steps["ingest_data"].decision == f"cached: reused the result of run {ui_quickstart.replay}"
    )


def test_an_executed_step_says_why(ui_quickstart: Quickstart) -> None:
    steps = {s.name: s for s in run_detail(ui_quickstart.project, ui_quickstart.retrain).steps}
    assert steps["ingest_drops"].decision == "executed: input 'folder' changed (data data/drops/)"
    assert steps["ingest_drops"].duration is not None


def test_a_skipped_step_says_why(ui_quickstart: Quickstart) -> None:
    steps = {s.name: s for s in run_detail(ui_quickstart.project, ui_quickstart.first).steps}
    assert steps["retrain_model"].status == "skipped"
    assert steps["retrain_model"].decision == (
        "skipped: the condition of step 'check_drift' is false"
    )


def test_outputs_have_id_type_size_materializer_and_preview(ui_quickstart: Quickstart) -> None:
    record = _record(ui_quickstart, ui_quickstart.retrain)
    steps = {s.name: s for s in run_detail(ui_quickstart.project, ui_quickstart.retrain).steps}
    (output,) = steps["ingest_data"].outputs
    stored = record.steps["ingest_data"].outputs["output"]
    assert (output.name, output.oid, output.size) == ("output", stored.oid, stored.size)
    assert (output.type, output.materializer) == ("pandas.DataFrame", "pandas.parquet")
    assert isinstance(output.preview, TablePreview)


def test_a_model_version_is_marked_with_its_model(ui_quickstart: Quickstart) -> None:
    steps = {s.name: s for s in run_detail(ui_quickstart.project, ui_quickstart.retrain).steps}
    (output,) = steps["retrain_model"].outputs
    assert output.model == "my_model"
    assert isinstance(output.preview, EstimatorPreview)
    assert ("n_estimators", "100") in output.preview.params


def test_metrics_are_listed_by_step_in_definition_order(ui_quickstart: Quickstart) -> None:
    metrics = run_detail(ui_quickstart.project, ui_quickstart.retrain).metrics
    assert [(m.step, m.name) for m in metrics] == [
        ("evaluate", "rmse"),
        ("check_drift", "drifted_columns"),
        ("evaluate_2", "rmse"),
    ]
    assert metrics[1].shown == "2"


def test_the_dag_is_an_inline_svg(ui_quickstart: Quickstart) -> None:
    detail = run_detail(ui_quickstart.project, ui_quickstart.first)
    assert detail.dag_svg.startswith("<svg")


def test_the_dag_is_drawn_with_no_program_on_the_path(
    ui_quickstart: Quickstart, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    detail = run_detail(ui_quickstart.project, ui_quickstart.first)
    assert detail.dag_svg.startswith("<svg") and ">ingest_data</text>" in detail.dag_svg


def test_the_replays_of_a_run_carry_their_verdicts(ui_quickstart: Quickstart) -> None:
    replays = run_detail(ui_quickstart.project, ui_quickstart.first).replays
    assert [replay.run for replay in replays.shown] == [ui_quickstart.replay]
    assert (replays.total, replays.more) == (1, 0)
    assert replays.shown[0].verification is not None
    assert replays.shown[0].verification.verdict == "identical"


def test_a_run_that_only_mentions_a_run_is_not_its_replay(ui_quickstart: Quickstart) -> None:
    # The retraining run reused steps of the replay (cached_from), it did not replay it.
    assert run_detail(ui_quickstart.project, ui_quickstart.replay).replays.total == 0


def test_a_replay_names_its_original_and_its_verdict(ui_quickstart: Quickstart) -> None:
    detail = run_detail(ui_quickstart.project, ui_quickstart.replay)
    assert detail.replay_of == ui_quickstart.first
    assert detail.verification is not None and detail.verification.verdict == "identical"
    assert [step for step, _ in detail.verification.steps] == STEPS


def test_a_divergent_replay_shows_where_it_diverged(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project = _copy(ui_quickstart, tmp_path)
    replay = _record(ui_quickstart, ui_quickstart.replay)
    steps = dict.fromkeys(STEPS, "identical") | {"train_model": "different"}
    verification = Verification(
        verdict="different",
        steps=steps,  # type: ignore[arg-type]
        first_divergence="train_model",
        explanation="the model's bytes differ",
    )
    run = _save(project, replay, verification=verification)
    found = {r.run: r for r in run_detail(project, ui_quickstart.first).replays.shown}
    shown = found[run]
    assert isinstance(shown, ReplayView) and shown.verification is not None
    assert shown.verification.verdict == "different"
    assert shown.verification.first_divergence == "train_model"


def test_the_diff_of_a_dirty_run_is_shown(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    project = _copy(ui_quickstart, tmp_path)
    diff = "diff --git a/pipeline.py b/pipeline.py\n+# an edit\n"
    oid = project.store().write(diff.encode())
    record = _record(ui_quickstart, ui_quickstart.first)
    git = GitRecord(commit=record.git.commit, branch="main", dirty=True, diff=oid)
    shown = run_detail(project, _save(project, record, git=git)).pins.git
    assert shown.dirty and shown.diff is not None and shown.diff.text is not None
    assert shown.diff.text.text == diff


def test_a_diff_missing_from_the_store_says_to_pull(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project = _copy(ui_quickstart, tmp_path)
    record = _record(ui_quickstart, ui_quickstart.first)
    git = GitRecord(commit=record.git.commit, branch="main", dirty=True, diff="cd" * 16)
    shown = run_detail(project, _save(project, record, git=git)).pins.git
    assert shown.diff is not None and shown.diff.note == NotePreview(
        "object cdcdcdcdcdcd is not in the local store", hint="repro pull"
    )


def test_a_step_log_is_shown_up_to_its_limit(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    project = _copy(ui_quickstart, tmp_path)
    oid = project.store().write(b"line\n" * (LOG_LIMIT // 4))
    record = _record(ui_quickstart, ui_quickstart.first)
    detail = run_detail(project, _save(project, record, **_with_log(record, "evaluate", oid)))
    (entry,) = detail.logs
    assert entry.step == "evaluate" and entry.log.text is not None
    assert entry.log.text.truncated and len(entry.log.text.text) == LOG_LIMIT


def test_reading_a_run_writes_nothing(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    project = _copy(ui_quickstart, tmp_path)
    before = _files(project.root)
    run_detail(project, ui_quickstart.retrain)
    assert _files(project.root) == before


def _replayed(quickstart: Quickstart, tmp_path: Path, count: int) -> tuple[Project, list[str]]:
    """A copy of the quickstart whose first run was replayed ``count`` more
    times; the ids of those replays, oldest first."""
    project = _copy(quickstart, tmp_path)
    replay = _record(quickstart, quickstart.replay)
    return project, [_save(project, replay) for _ in range(count)]


def test_a_run_replayed_many_times_shows_its_newest_replays_and_counts_them(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project, replays = _replayed(ui_quickstart, tmp_path, MAX_REPLAYS + 4)
    shown = run_detail(project, ui_quickstart.first).replays
    assert [replay.run for replay in shown.shown] == replays[::-1][:MAX_REPLAYS]
    assert (shown.total, shown.more) == (MAX_REPLAYS + 5, 5)


def test_a_run_page_loads_the_run_and_the_replays_it_shows_only(
    ui_quickstart: Quickstart, tmp_path: Path, loaded: list[str]
) -> None:
    project, replays = _replayed(ui_quickstart, tmp_path, MAX_REPLAYS + 4)
    loaded.clear()
    run_detail(project, ui_quickstart.first)
    assert loaded == [ui_quickstart.first, *replays[::-1][:MAX_REPLAYS]]


def test_a_damaged_record_leaves_the_run_shown_with_why_its_replays_are_not(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project = _copy(ui_quickstart, tmp_path)
    Path(project.repro_dir, "runs", "01aaaaaaaaaaaa.json").write_text('{"schema": "repro.run/v1"')
    replays = run_detail(project, ui_quickstart.first).replays
    assert (replays.shown, replays.total) == ((), 0)
    assert replays.problem is not None
    assert "01aaaaaaaaaaaa.json is not a valid run record" in replays.problem
