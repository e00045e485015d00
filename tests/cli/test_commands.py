from __future__ import annotations

import os
from pathlib import Path

from cli_testing import Repro, run_repro
from repro_testing import age, write_files


def test_version(tmp_path: Path) -> None:
    result = run_repro(tmp_path, "--version")
    assert result.code == 0 and result.out.startswith("repro 0.")


def test_init_creates_config_and_ignores(git_repo: Path) -> None:
    result = run_repro(git_repo, "init")
    assert result.code == 0 and "Initialized" in result.out
    assert (git_repo / ".repro" / "config.toml").is_file()
    assert "/cache/" in (git_repo / ".repro" / ".gitignore").read_text()


def test_init_twice_keeps_the_config(git_repo: Path) -> None:
    run_repro(git_repo, "init")
    (git_repo / ".repro" / "config.toml").write_text('[core]\nhash = "md5"\n')
    result = run_repro(git_repo, "init")
    assert result.code == 0 and "already initialized" in result.out
    assert "md5" in (git_repo / ".repro" / "config.toml").read_text()


def test_init_without_git_when_asked(tmp_path: Path) -> None:
    assert run_repro(tmp_path, "init", "--no-scm").code == 0


def test_snapshot_prints_the_tree_and_counts(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {"a.csv": b"1\n", "b/c.csv": b"2\n"})
    result = repro("snapshot", "data", "--json")
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["files"] == 2 and doc["bytes"] == 4 and doc["stored"] is True
    assert len(doc["tree"]) == 32 and doc["algorithm"] == "xxh3-128"
    human = repro("snapshot", "data")
    assert human.out.startswith(doc["tree"]) and "2 files" in human.out


def test_snapshot_no_store_writes_no_objects(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {"a.csv": b"1\n"})
    doc = repro("snapshot", "data", "--no-store", "--json").json()
    assert doc["stored"] is False
    assert not (git_repo / ".repro" / "cache").exists()


def test_unchanged_snapshot_reuses_the_stat_cache(repro: Repro, git_repo: Path) -> None:
    age(write_files(git_repo / "data", {"a": b"1", "b": b"2"}))
    first = repro("snapshot", "data", "--json").json()
    second = repro("snapshot", "data", "--json").json()
    assert first["tree"] == second["tree"]
    assert (second["hashed"], second["reused"]) == (0, 2)


def test_checkout_diff_and_fsck_round_trip(repro: Repro, git_repo: Path) -> None:
    data = write_files(git_repo / "data", {"a.csv": b"1\n", "b/c.csv": b"2\n"})
    original = repro("snapshot", "data", "--json").json()["tree"]
    (data / "a.csv").write_bytes(b"changed\n")
    (data / "new.txt").write_bytes(b"new\n")
    changed = repro("snapshot", "data", "--json").json()["tree"]

    diff = repro("diff", original, changed, "--json").json()
    assert diff == {"added": ["new.txt"], "removed": [], "changed": ["a.csv"], "unchanged": 1}

    done = repro("checkout", original, "data", "--json")
    assert done.code == 0, done.err
    assert done.json()["modified"] == ["a.csv"] and done.json()["deleted"] == ["new.txt"]
    assert (data / "a.csv").read_bytes() == b"1\n" and not (data / "new.txt").exists()

    same = repro("diff", original, "data", "--json").json()
    assert same["added"] == same["removed"] == same["changed"] == []

    check = repro("fsck", "--json")
    assert check.code == 0 and check.json()["problems"] == []
    assert check.json()["checked"] >= 5


def test_checkout_into_a_new_folder_human_output(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {"a.csv": b"1\n"})
    tree = repro("snapshot", "data", "--json").json()["tree"]
    result = repro("checkout", tree, "elsewhere")
    assert result.code == 0 and "A a.csv" in result.out and "1 added" in result.out
    assert (git_repo / "elsewhere" / "a.csv").read_bytes() == b"1\n"


def test_algorithm_prefixed_ids_are_accepted(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {"a.csv": b"1\n"})
    tree = repro("snapshot", "data", "--json").json()["tree"]
    assert repro("checkout", f"xxh3-128:{tree}", "copy").code == 0


def test_another_hash_algorithm_from_config(repro: Repro, git_repo: Path) -> None:
    (git_repo / ".repro" / "config.toml").write_text('[core]\nhash = "sha256"\n')
    write_files(git_repo / "data", {"a.csv": b"1\n"})
    doc = repro("snapshot", "data", "--json").json()
    assert doc["algorithm"] == "sha256" and len(doc["tree"]) == 64
    assert (git_repo / ".repro" / "cache" / "sha256").is_dir()


def test_shared_cache_folder_from_local_config(
    repro: Repro, git_repo: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared-cache"
    (git_repo / ".repro" / "config.local.toml").write_text(f'[cache]\ndir = "{shared}"\n')
    write_files(git_repo / "data", {"a.csv": b"1\n"})
    assert repro("snapshot", "data").code == 0
    assert (shared / "xxh3-128").is_dir() and not (git_repo / ".repro" / "cache").exists()


def test_debug_shows_the_traceback(repro: Repro) -> None:
    result = repro("--debug", "snapshot", "missing")
    assert result.code == 1 and "Traceback" in result.err
    assert result.err.strip().splitlines()[-1].startswith("error: ")


def test_help_lists_exit_codes(tmp_path: Path) -> None:
    result = run_repro(tmp_path, "--help")
    assert result.code == 0 and "Exit codes" in result.out
    for command in ("init", "snapshot", "checkout", "diff", "fsck"):
        assert command in result.out


def test_environment_does_not_leak_into_tree_ids(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {"a.csv": b"1\n"})
    here = repro("snapshot", "data", "--json").json()["tree"]
    os.rename(git_repo / "data", git_repo / "moved")
    assert repro("snapshot", "moved", "--json").json()["tree"] == here


def test_fsck_lists_what_interrupted_writes_left(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {"a.csv": b"1\n"})
    assert repro("snapshot", "data").code == 0
    leftover = git_repo / ".repro" / "cache" / "xxh3-128" / "objects" / ".tmp-killed"
    leftover.write_bytes(b"half")
    result = repro("fsck")
    assert result.code == 0 and "1 file left by interrupted writes" in result.out
    assert "objects/.tmp-killed" in result.out
