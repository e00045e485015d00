"""Push, fetch and pull through the real ``repro`` command: repository A
runs and pushes; a fresh clone B pulls (or replays, fetching on demand)
and proves the replay identical. Against a folder remote and a real
S3-compatible server."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest
from cli_testing import one_line_error
from pipeline_testing import cli, commit_all, edit, make_flow_project, run_json, statuses
from repro_testing import git
from s3_testing import S3Server


def _remote_config(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "folder":
        return f'[remote.origin]\nurl = "{tmp_path / "remote"}"\n'
    server: S3Server = request.getfixturevalue("s3_server")
    bucket = server.new_bucket()
    return f'[remote.origin]\nurl = "s3://{bucket}/repro"\nendpoint_url = "{server.endpoint}"\n'


def _origin(git_repo: Path, tmp_path: Path, request: pytest.FixtureRequest, kind: str) -> Path:
    make_flow_project(git_repo, commit=False)
    (git_repo / ".gitignore").write_text("/data/\n")
    config = git_repo / ".repro/config.toml"
    text = config.read_text().replace("[core]\n", '[core]\nremote = "origin"\n')
    config.write_text(text + "\n" + _remote_config(kind, tmp_path, request))
    commit_all(git_repo, "flow project, data not in Git")
    return git_repo


@pytest.fixture(params=["folder", "s3"])
def origin(git_repo: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The flow project with its data kept out of Git and a default remote:
    a folder, or a bucket on the S3-compatible server."""
    return _origin(git_repo, tmp_path, request, request.param)


@pytest.fixture
def folder_origin(git_repo: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """As ``origin``, with a folder remote only (behaviour the S3 runs of
    the tests above already show is the same on both)."""
    return _origin(git_repo, tmp_path, request, "folder")


def _clone(origin: Path, name: str) -> Path:
    clone = origin.parent / name
    git(origin.parent, "clone", "-q", str(origin), str(clone))
    return clone


def _run_and_push(origin: Path) -> tuple[str, dict]:
    run = run_json(origin)["run"]
    commit_all(origin, "lock")
    pushed = cli(origin, "push", "--json")
    assert pushed.code == 0, pushed
    return run, pushed.json()


def test_a_fresh_clone_pulls_and_replays_identically(origin: Path) -> None:
    run, pushed = _run_and_push(origin)
    assert pushed["runs"] == [run] and pushed["moved"] > 0
    clone = _clone(origin, "b")
    assert not (clone / "data").exists()
    pulled = cli(clone, "pull", "--json")
    assert pulled.code == 0, pulled
    assert pulled.json()["restored"] == ["data/rows.csv"]
    assert (clone / "data/rows.csv").read_bytes() == (origin / "data/rows.csv").read_bytes()
    replay = cli(clone, "replay", run, "--verify", "--json")
    assert replay.code == 0, replay
    assert replay.json()["verdict"] == "identical"


def test_replay_in_a_fresh_clone_fetches_what_it_needs(origin: Path) -> None:
    run, _ = _run_and_push(origin)
    clone = _clone(origin, "c")
    replay = cli(clone, "replay", run[:6], "--verify", "--json")
    assert replay.code == 0, replay
    assert replay.json()["verdict"] == "identical"


def test_pulled_steps_are_cache_hits(folder_origin: Path) -> None:
    _run_and_push(folder_origin)
    clone = _clone(folder_origin, "d")
    assert cli(clone, "pull").code == 0
    doc = run_json(clone)
    assert set(statuses(doc).values()) == {"cached"}


def test_a_second_push_moves_only_what_changed(origin: Path) -> None:
    _run_and_push(origin)
    edit(origin / "data/rows.csv", "\n4\n", "\n5\n")
    second = run_json(origin)["run"]
    pushed = cli(origin, "push", "--json").json()
    assert pushed["runs"] == [second]
    # The data's new blob and tree, the four outputs, the record: the
    # unchanged code and earlier objects are not looked at one by one.
    assert pushed["moved"] == 7 and pushed["objects"] == 7


def test_pushing_again_moves_nothing(folder_origin: Path) -> None:
    _run_and_push(folder_origin)
    again = cli(folder_origin, "push", "--json").json()
    assert again["moved"] == 0 and again["present"] > 0


def test_fetch_changes_nothing_in_the_project(folder_origin: Path) -> None:
    run, _ = _run_and_push(folder_origin)
    clone = _clone(folder_origin, "e")
    fetched = cli(clone, "fetch", "--json")
    assert fetched.code == 0, fetched
    assert fetched.json()["runs"] == [run]
    assert not (clone / "data").exists()
    assert run in cli(clone, "runs", "list").out


def test_an_unknown_run_is_named(folder_origin: Path) -> None:
    _run_and_push(folder_origin)
    clone = _clone(folder_origin, "f")
    error = one_line_error(cli(clone, "fetch", "zzzzzz"))
    assert "zzzzzz" in error and "origin" in error


def test_push_without_any_run_says_what_to_do(folder_origin: Path) -> None:
    error = one_line_error(cli(folder_origin, "push"))
    assert "repro.lock pins none" in error


def test_a_corrupt_remote_object_is_rejected_and_never_admitted(
    folder_origin: Path, tmp_path: Path
) -> None:
    _run_and_push(folder_origin)
    packs = sorted((tmp_path / "remote").glob("*/packs/*.pack"))
    assert packs
    for pack in packs:
        pack.chmod(0o644)
        data = bytearray(pack.read_bytes())
        data[-1] ^= 0xFF
        pack.write_bytes(bytes(data))
    checked = cli(folder_origin, "fsck", "--remote", "--json")
    assert checked.code == 1 and checked.json()["problems"]
    sampled = cli(folder_origin, "fsck", "--remote", "origin", "--sample", "1")
    assert sampled.code == 1 and "a sample of" in sampled.out
    clone = _clone(folder_origin, "g")
    error = one_line_error(cli(clone, "pull"))
    assert "do not match their ids and were rejected" in error
    fsck = cli(clone, "fsck")
    assert fsck.code == 0, fsck


def test_a_push_interrupted_half_way_is_completed_by_the_next(
    folder_origin: Path, tmp_path: Path
) -> None:
    _run_and_push(folder_origin)
    remote = tmp_path / "remote"
    objects = sorted(p for p in remote.glob("*/objects/*/*"))
    for path in objects[::2]:
        path.unlink()
    shutil.rmtree(next(remote.glob("*/packs")))
    again = cli(folder_origin, "push", "--json").json()
    assert again["moved"] > 0
    clone = _clone(folder_origin, "h")
    assert cli(clone, "pull").code == 0
    assert cli(clone, "fsck").code == 0


def test_pull_never_overwrites_data_that_differs(folder_origin: Path) -> None:
    _run_and_push(folder_origin)
    clone = _clone(folder_origin, "i")
    (clone / "data").mkdir()
    (clone / "data/rows.csv").write_text("value\n99\n")
    error = one_line_error(cli(clone, "pull"))
    assert "data/rows.csv" in error
    assert (clone / "data/rows.csv").read_text() == "value\n99\n"
    assert cli(clone, "pull", "--force").code == 0
    assert (clone / "data/rows.csv").read_bytes() == (folder_origin / "data/rows.csv").read_bytes()


def _with_remote(root: Path, table: str) -> Path:
    make_flow_project(root, commit=False)
    config = root / ".repro/config.toml"
    config.write_text(config.read_text() + "\n" + table)
    commit_all(root, "flow project")
    assert run_json(root)["run"]
    return root


def test_push_to_a_bucket_that_does_not_exist_names_it(git_repo: Path, s3_server: S3Server) -> None:
    url = "s3://no-such-bucket-x/repro"
    table = f'[remote.origin]\nurl = "{url}"\nendpoint_url = "{s3_server.endpoint}"\n'
    error = one_line_error(cli(_with_remote(git_repo, table), "push"))
    assert "bucket 'no-such-bucket-x' does not exist" in error


@pytest.mark.slow
def test_push_to_an_unreachable_remote_fails_in_seconds(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Credentials, so that the only thing wrong is the endpoint: without
    # any, botocore may give up looking for them first (under load, its
    # instance-metadata lookup times out) and say so instead.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    table = (
        f'[remote.origin]\nurl = "s3://bucket/repro"\nendpoint_url = "http://127.0.0.1:{port}"\n'
    )
    project = _with_remote(git_repo, table)
    started = time.monotonic()
    error = one_line_error(cli(project, "push"))
    assert "cannot reach remote 'origin'" in error
    assert time.monotonic() - started < 30


def test_an_unknown_remote_name_lists_the_known_ones(folder_origin: Path) -> None:
    error = one_line_error(cli(folder_origin, "push", "--remote", "nope"))
    assert "no remote named 'nope'" in error and "origin" in error


def test_no_remote_at_all_says_how_to_add_one(git_repo: Path) -> None:
    error = one_line_error(cli(_with_remote(git_repo, ""), "push"))
    assert "repro remote add" in error


def test_push_takes_named_runs_or_all_of_them(folder_origin: Path, tmp_path: Path) -> None:
    first, _ = _run_and_push(folder_origin)
    edit(folder_origin / "data/rows.csv", "\n4\n", "\n6\n")
    second = run_json(folder_origin)["run"]
    edit(folder_origin / "data/rows.csv", "\n6\n", "\n7\n")
    third = run_json(folder_origin)["run"]
    listed = tmp_path / "remote" / "xxh3-128" / "runs"
    assert cli(folder_origin, "push", second[:-1]).code == 0
    assert sorted(p.name for p in listed.iterdir()) == sorted([first, second])
    pushed = cli(folder_origin, "push", "--all", "--json").json()
    assert pushed["runs"] == sorted([first, second, third])
    assert sorted(p.name for p in listed.iterdir()) == sorted([first, second, third])


def test_pulling_a_lock_whose_run_was_never_pushed_names_it(folder_origin: Path) -> None:
    run = run_json(folder_origin)["run"]
    commit_all(folder_origin, "lock, not pushed")
    (folder_origin.parent / "remote").mkdir(exist_ok=True)
    clone = _clone(folder_origin, "j")
    error = one_line_error(cli(clone, "pull"))
    assert run in error and "push it" in error


def test_a_damaged_remote_pack_index_is_skipped_and_its_objects_sent_again(
    folder_origin: Path, tmp_path: Path
) -> None:
    _run_and_push(folder_origin)
    (index,) = (tmp_path / "remote").glob("*/packs/*.idx")
    index.chmod(0o644)
    index.write_bytes(b"garbage, not an index")
    # As on a machine that never read that index (a kept copy is trusted: its
    # name is its hash; `repro fsck --remote` reads the remote's own).
    shutil.rmtree(folder_origin / ".repro/tmp/remote-indexes")
    again = cli(folder_origin, "push", "--json")
    assert again.code == 0, again
    assert again.json()["moved"] > 0 and "is damaged" in again.err
    clone = _clone(folder_origin, "k")
    assert cli(clone, "pull").code == 0


def test_objects_a_gc_removes_during_a_push_are_sent_again(
    folder_origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repro.project import Project
    from repro.runner import sync

    run_json(folder_origin)
    real = sync.transfer
    removed: list[Path] = []

    def transfer_then_gc(*args: object, **kwargs: object) -> object:
        report = real(*args, **kwargs)  # type: ignore[arg-type]
        if not removed:  # another machine's gc, between the look and the listing
            removed.extend(sorted((tmp_path / "remote").glob("*/objects/*/*"))[:1])
            removed[0].unlink()
        return report

    monkeypatch.setattr(sync, "transfer", transfer_then_gc)
    outcome = sync.push_runs(Project(str(folder_origin)))
    assert removed and removed[0].exists()
    assert outcome.runs
