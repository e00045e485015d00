"""The pre-push hook with a real ``git push`` to a bare repository: the
runs the pushed lock pins reach the repro remote first, or the push stops
with the reason (``git push --no-verify`` being the escape)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from githooks_testing import git_try, run_ok, use_remote
from pipeline_testing import cli, commit_all
from repro_testing import git

from repro.git.command import open_workdir
from repro.githooks.hooks import run_hook
from repro.githooks.prepush import PrePushInputError, parse_pushed_refs, pinned_runs
from repro.lineage.lock import parse_lock


def _bare(root: Path, tmp_path: Path) -> Path:
    """An empty bare repository, the project's Git remote ``origin``."""
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(root, "remote", "add", "origin", str(bare))
    return bare


def _run_id(root: Path) -> str:
    return parse_lock((root / "repro.lock").read_text()).pipelines["flow"].run


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_push_sends_the_pinned_run_and_its_objects(ran: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    use_remote(ran, f'url = "{store}"\n')
    bare = _bare(ran, tmp_path)
    pushed = git_try(ran, "push", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert "1 run(s) repro.lock pins are on remote 'origin'" in pushed.stderr
    assert (store / "xxh3-128/runs" / _run_id(ran)).is_file()
    assert git(bare, "rev-parse", "main") == git(ran, "rev-parse", "main")
    again = cli(ran, "push", "--json")  # every object is there: nothing left to move
    assert again.code == 0 and again.json()["moved"] == 0


def test_an_unreachable_remote_stops_the_push_with_the_reason(
    ran: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # credentials found, the endpoint down
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    table = (
        f'url = "s3://bucket/store"\nendpoint_url = "http://127.0.0.1:{_closed_port()}"\n'
        "config_kwargs = {retries = {max_attempts = 1}}\n"
    )
    use_remote(ran, table, "down")
    bare = _bare(ran, tmp_path)
    pushed = git_try(ran, "push", "origin", "main")
    assert pushed.returncode != 0
    errors = [line for line in pushed.stderr.splitlines() if line.startswith("error: pre-push")]
    assert len(errors) == 1, pushed.stderr
    assert "cannot reach remote 'down'" in errors[0] and "git push --no-verify" in errors[0]
    assert git_try(bare, "rev-parse", "--verify", "main").returncode != 0
    escaped = git_try(ran, "push", "--no-verify", "origin", "main")
    assert escaped.returncode == 0, escaped.stderr


def test_without_a_repro_remote_the_push_passes_with_a_note(ran: Path, tmp_path: Path) -> None:
    bare = _bare(ran, tmp_path)
    pushed = git_try(ran, "push", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert "no repro remote is configured" in pushed.stderr
    assert git_try(bare, "rev-parse", "--verify", "main").returncode == 0


def test_a_run_recorded_nowhere_stops_the_push(ran: Path, tmp_path: Path) -> None:
    use_remote(ran, f'url = "{tmp_path / "store"}"\n')
    _bare(ran, tmp_path)
    lock = ran / "repro.lock"
    lock.write_text(lock.read_text().replace(_run_id(ran), "01zzzzzzzzzzzz"))
    commit_all(ran, "a lock from elsewhere")
    git(ran, "checkout", "-q", "--detach")
    pushed = git_try(ran, "push", "origin", "HEAD:refs/heads/elsewhere")
    assert pushed.returncode != 0
    assert "run 01zzzzzzzzzzzz pinned by the pushed repro.lock is neither recorded here" in (
        pushed.stderr
    )


def test_the_lock_of_each_pushed_commit_counts(ran: Path) -> None:
    first = _run_id(ran)
    (ran / "data/rows.csv").write_text("value\n7\n")
    second = run_ok(ran)
    tip = commit_all(ran, "second run")
    tree = open_workdir(str(ran))
    refs = parse_pushed_refs(f"refs/heads/main {tip} refs/heads/main {'0' * 40}\n")
    assert set(pinned_runs(tree, "repro.lock", refs)) == {first, second}


def test_a_deleted_branch_pins_nothing(ran: Path) -> None:
    tree = open_workdir(str(ran))
    refs = parse_pushed_refs(f"(delete) {'0' * 40} refs/heads/gone {'1' * 40}\n")
    assert pinned_runs(tree, "repro.lock", refs) == {}


def test_a_line_git_would_not_write_is_refused() -> None:
    with pytest.raises(PrePushInputError, match=r"unexpected line on stdin 'main abc'"):
        parse_pushed_refs("main abc\n")


def test_outside_a_repro_project_the_hook_passes_with_a_note(git_repo: Path) -> None:
    report = run_hook("pre-push", ["origin", "url"], "", str(git_repo), {})
    assert report.notes == ["repro pre-push: not a repro project here; nothing to do"]


def test_a_chained_pre_push_hook_gets_the_same_input(ran: Path, tmp_path: Path) -> None:
    hooks = ran / ".git/hooks"
    log = tmp_path / "refs"
    (hooks / "pre-push.pre-repro").write_text(f"#!/bin/sh\ncat > {log}\n")
    (hooks / "pre-push.pre-repro").chmod(0o755)
    store = tmp_path / "store"
    use_remote(ran, f'url = "{store}"\n')
    _bare(ran, tmp_path)
    assert git_try(ran, "push", "origin", "main").returncode == 0
    head = git(ran, "rev-parse", "main").strip()
    assert log.read_text() == f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"
    assert (store / "xxh3-128/runs" / _run_id(ran)).is_file()
