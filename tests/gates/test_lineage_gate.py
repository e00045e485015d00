from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from pipeline_testing import OTHER, cli, edit

from repro.gates.lineage import check_lineage, judge_lineage
from repro.project import Project

RERUN = "run `repro run flow && git add repro.lock`"


def _lines(root: Path) -> list[str]:
    return [finding.line for finding in judge_lineage(Project(str(root)), cwd=str(root)).findings]


def _run_id(root: Path) -> str:
    doc = json.loads(cli(root, "status", "--json").out)
    return str(doc["run"])


def _use_remote(root: Path, table: str) -> None:
    body = f'[core]\nremote = "origin"\n\n[remote.origin]\n{table}'
    (root / ".repro/config.local.toml").write_text(body)


def _empty_cache(root: Path) -> None:
    shutil.rmtree(root / ".repro/cache")


def test_no_lock_passes_with_a_note(project: Project) -> None:
    result = check_lineage(project, cwd=project.root)
    assert result.passed
    assert result.notes == ("repro.lock: no lock yet, nothing pinned",)


def test_a_fresh_lock_passes(flow: Path) -> None:
    result = judge_lineage(Project(str(flow)), cwd=str(flow))
    assert result.passed and result.notes == ()


def test_changed_code_is_stale(flow: Path) -> None:
    edit(flow / "helpers.py", "value * factor", "value * factor + 0")
    assert _lines(flow) == [
        "repro.lock: pipeline 'flow' is stale (step 'transform': code changed (helpers.py)): "
        + RERUN
    ]


def test_changed_data_is_stale(flow: Path) -> None:
    (flow / "data/rows.csv").write_text("value\n9\n")
    assert _lines(flow) == [
        "repro.lock: pipeline 'flow' is stale (step 'load': input 'path' changed "
        f"(data data/rows.csv)): {RERUN}"
    ]


def test_a_configured_pipeline_missing_from_the_lock_is_stale(flow: Path) -> None:
    (flow / "other.py").write_text(OTHER)
    (flow / "pyproject.toml").write_text(
        '[tool.repro.pipelines]\nflow = "flow.py:flow"\nother = "other.py:other"\n'
    )
    [line] = _lines(flow)
    assert line.startswith("repro.lock: pipeline 'other' is stale (step 'double': ")
    assert line.endswith("run `repro run other && git add repro.lock`")


def test_a_pipeline_that_cannot_be_loaded_says_why(flow: Path) -> None:
    edit(flow / "flow.py", "from helpers import scale", "from helpers import nothing")
    [line] = _lines(flow)
    assert line.startswith("repro.lock: pipeline 'flow' cannot be judged: importing flow.py failed")
    assert line.endswith(f"fix that, then {RERUN}")


def test_an_invalid_lock_points_at_the_lock_check(flow: Path) -> None:
    (flow / "repro.lock").write_text("pipelines: [\n")
    assert _lines(flow) == ["repro.lock: not a valid lock: `repro check lock` says what is wrong"]


def test_from_outside_the_project_the_fix_runs_in_it(flow: Path) -> None:
    edit(flow / "helpers.py", "value * factor", "value * factor + 0")
    result = judge_lineage(Project(str(flow)), cwd=str(flow.parent))
    [finding] = result.findings
    assert finding.where == "repo/repro.lock"
    assert finding.fix == "run `cd repo && repro run flow && git add repro.lock`"


def test_objects_in_no_store_fail(flow: Path) -> None:
    run = _run_id(flow)
    _empty_cache(flow)
    [line] = _lines(flow)
    assert line.startswith("repro.lock: ")
    assert f"object(s) of run {run} are not in the local cache, and no default remote is " in line
    assert line.endswith(
        "run it again (`repro run flow`), or add the remote that has them "
        "(`repro remote add NAME URL`) and `repro pull`"
    )


def test_objects_on_the_default_remote_pass(flow: Path, tmp_path: Path) -> None:
    _use_remote(flow, f'url = "{tmp_path / "store"}"\n')
    assert cli(flow, "push").code == 0
    _empty_cache(flow)
    assert _lines(flow) == []


def test_objects_in_neither_the_cache_nor_the_remote_fail(flow: Path, tmp_path: Path) -> None:
    _use_remote(flow, f'url = "{tmp_path / "store"}"\n')
    assert cli(flow, "push").code == 0
    for folder in ("objects", "packs"):
        shutil.rmtree(tmp_path / "store/xxh3-128" / folder)
    _empty_cache(flow)
    [line] = _lines(flow)
    assert f"object(s) of run {_run_id(flow)} are in neither the local cache nor remote " in line
    assert line.endswith(
        "push them from the machine that made the run (`repro push`), or run it again "
        "(`repro run flow`)"
    )


def test_a_run_recorded_elsewhere_passes_when_the_remote_lists_it(
    flow: Path, tmp_path: Path
) -> None:
    _use_remote(flow, f'url = "{tmp_path / "store"}"\n')
    assert cli(flow, "push").code == 0
    _empty_cache(flow)
    shutil.rmtree(flow / ".repro/runs")
    assert _lines(flow) == []


def test_a_run_recorded_nowhere_fails(flow: Path, tmp_path: Path) -> None:
    _use_remote(flow, f'url = "{tmp_path / "store"}"\n')
    run = _run_id(flow)
    _empty_cache(flow)
    shutil.rmtree(flow / ".repro/runs")
    [line] = _lines(flow)
    assert f"the record of run {run} are in neither the local cache nor remote 'origin'" in line


def test_an_unreachable_remote_fails_with_the_reason(
    flow: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _use_remote(
        flow,
        f'url = "s3://bucket/store"\nendpoint_url = "http://127.0.0.1:{port}"\n'
        "config_kwargs = {retries = {max_attempts = 1}}\n",
    )
    _empty_cache(flow)
    [line] = _lines(flow)
    assert "are not in the local cache, and cannot reach remote 'origin'" in line
    assert line.endswith("(`SKIP=repro-lineage git commit` skips this check)")


def test_the_memory_of_complete_runs_does_not_hide_objects_removed_since(flow: Path) -> None:
    assert _lines(flow) == []
    assert (flow / ".repro/tmp/gates-objects.json").exists()
    shutil.rmtree(flow / ".repro/cache/xxh3-128/packs")
    [line] = _lines(flow)
    assert "are not in the local cache, and no default remote is configured" in line


def test_without_configured_pipelines_the_locked_ones_are_judged(flow: Path) -> None:
    (flow / "pyproject.toml").unlink()
    edit(flow / "helpers.py", "value * factor", "value * factor + 0")
    [line] = _lines(flow)
    assert line.startswith("repro.lock: pipeline 'flow.py:flow' is stale (step 'transform'")
    assert line.endswith("run `repro run flow.py:flow && git add repro.lock`")


def test_an_unreadable_run_record_says_so(flow: Path) -> None:
    run = _run_id(flow)
    (flow / f".repro/runs/{run}.json").write_text("{}")
    [line] = _lines(flow)
    assert f"runs/{run}.json is not a valid run record: " in line
    assert line.endswith("fix that, then `repro check lineage` again")


def test_a_lock_left_conflicted_by_a_merge_is_stale(flow: Path) -> None:
    run = _run_id(flow)
    lock = flow / "repro.lock"
    lock.write_text(lock.read_text() + f"conflicts:\n  flow:\n    ours: {run}\n    theirs: null\n")
    [line] = _lines(flow)
    assert line.startswith("repro.lock: pipeline 'flow' is stale (step 'load': ")
    assert "changed on both sides of a merge" in line
