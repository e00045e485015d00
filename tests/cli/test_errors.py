"""Every failure a user can cause: one line naming the thing, a non-zero
exit, no traceback, and nothing lost or half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_testing import Repro, one_line_error, run_repro
from repro_testing import write_files

from repro.project import Project
from repro.store.fsck import fsck


def _tree(repro: Repro, folder: str) -> str:
    result = repro("snapshot", folder, "--json")
    assert result.code == 0, result.err
    tree: str = result.json()["tree"]
    return tree


def test_outside_a_project(tmp_path: Path) -> None:
    line = one_line_error(run_repro(tmp_path, "snapshot", "."))
    assert "not inside a repro project" in line and "repro init" in line


def test_init_outside_git(tmp_path: Path) -> None:
    line = one_line_error(run_repro(tmp_path, "init"))
    assert "not inside a Git repository" in line and "git init" in line
    assert not (tmp_path / ".repro").exists()


def test_path_that_does_not_exist(repro: Repro) -> None:
    line = one_line_error(repro("snapshot", "no/such/data"))
    assert "no/such/data" in line and "no such file or directory" in line


def test_unreadable_file(repro: Repro, git_repo: Path) -> None:
    data = write_files(git_repo / "data", {"ok": b"1", "locked": b"secret"})
    (data / "locked").chmod(0)
    # Tests run as root, which reads anything: drop the capabilities that
    # bypass file permissions, so the permission check is real.
    drop = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    line = one_line_error(repro("snapshot", "data", prefix=drop if os.geteuid() == 0 else ()))
    assert "data/locked" in line and "permission denied" in line


def test_symlink_loop(repro: Repro, git_repo: Path) -> None:
    (git_repo / "data").mkdir()
    os.symlink("loop", git_repo / "data" / "loop")
    line = one_line_error(repro("snapshot", "data"))
    assert "data/loop" in line and "symbolic link loop" in line


def test_tree_id_that_is_not_hex(repro: Repro) -> None:
    line = one_line_error(repro("checkout", "../../etc", "out"))
    assert "'../../etc' is not a valid xxh3-128 object id" in line


def test_tree_id_not_in_the_store(repro: Repro) -> None:
    line = one_line_error(repro("checkout", "0" * 32, "out"))
    assert f"tree {'0' * 32} is not in the store" in line


def test_blob_id_is_not_a_tree(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {"a.csv": b"plain text, not a manifest"})
    tree = _tree(repro, "data")
    blob = repro("diff", tree, tree, "--json")  # the blob id comes from the tree listing
    assert blob.code == 0
    from repro.store import read_tree

    store = Project(str(git_repo)).store()
    blob_id = read_tree(store, tree).entries[0].oid
    line = one_line_error(repro("checkout", blob_id, "out"))
    assert "is not a valid tree" in line


def _corrupt_first_blob(git_repo: Path, tree: str) -> str:
    from repro.store import read_tree

    store = Project(str(git_repo)).store()
    blob = read_tree(store, tree).entries[0].oid
    location = store.locate(blob)
    path = Path(store.backend.root) / (
        location.pack_path if hasattr(location, "pack_path") else location.path
    )
    offset = getattr(location, "offset", 0)
    path.chmod(0o644)
    with open(path, "r+b") as file:
        file.seek(offset)
        byte = file.read(1)
        file.seek(offset)
        file.write(bytes([byte[0] ^ 0xFF]))
    return blob


def test_corrupt_object_is_refused_and_named(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {"a.csv": b"1,2,3\n"})
    tree = _tree(repro, "data")
    blob = _corrupt_first_blob(git_repo, tree)
    line = one_line_error(repro("checkout", tree, "restored"))
    assert f"object {blob} is corrupt" in line and "repro fsck" in line
    assert not (git_repo / "restored" / "a.csv").exists()
    check = repro("fsck")
    assert check.code == 1 and blob in check.err and "1 problem" in check.out


def test_unknown_hash_algorithm_in_config(repro: Repro, git_repo: Path) -> None:
    (git_repo / ".repro" / "config.toml").write_text('[core]\nhash = "crc32"\n')
    line = one_line_error(repro("snapshot", "."))
    assert "config.toml: core.hash: unknown hash algorithm 'crc32'" in line


def test_malformed_config(repro: Repro, git_repo: Path) -> None:
    (git_repo / ".repro" / "config.toml").write_text("[core\n")
    assert "not valid TOML" in one_line_error(repro("fsck"))


def test_unknown_config_setting(repro: Repro, git_repo: Path) -> None:
    (git_repo / ".repro" / "config.toml").write_text("[cache]\ncolour = 1\n")
    assert "cache.colour: unknown setting" in one_line_error(repro("fsck"))


def test_checkout_would_lose_unstored_work(repro: Repro, git_repo: Path) -> None:
    data = write_files(git_repo / "data", {"a.csv": b"1\n"})
    tree = _tree(repro, "data")
    (data / "a.csv").write_bytes(b"precious unsaved edit\n")
    line = one_line_error(repro("checkout", tree, "data"))
    assert "a.csv" in line and "--force" in line
    assert (data / "a.csv").read_bytes() == b"precious unsaved edit\n"


def test_unknown_link_type(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {"a.csv": b"1\n"})
    tree = _tree(repro, "data")
    assert "unknown link type 'symlink'" in one_line_error(
        repro("checkout", tree, "o", "-l", "symlink")
    )


def test_bad_option_is_a_usage_error(repro: Repro) -> None:
    result = repro("snapshot", ".", "--jobs", "0")
    assert result.code == 2 and "Traceback" not in result.err


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB filesystem, so the disk really fills up."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_full_disk_leaves_no_partial_object(repro: Repro, git_repo: Path, tiny_disk: Path) -> None:
    (git_repo / ".repro" / "config.local.toml").write_text(f'[cache]\ndir = "{tiny_disk}"\n')
    data = write_files(git_repo / "data", {"big.bin": os.urandom(2 << 20), "small": b"s" * 600_000})
    line = one_line_error(repro("snapshot", "data"))
    assert "no space left on the device" in line
    leftovers = [p for p in tiny_disk.rglob("*") if p.is_file()]
    assert leftovers == [], leftovers  # neither objects nor temp files
    assert (data / "big.bin").stat().st_size == 2 << 20  # the data itself is untouched


def test_killed_mid_write_leaves_a_consistent_store(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo / "data", {f"f{i}": os.urandom(300_000) for i in range(40)})
    write_files(git_repo / "data", {"huge.bin": os.urandom(200 << 20)})
    env = {**os.environ}
    process = subprocess.Popen(
        [sys.executable, "-m", "repro", "snapshot", "data", "--jobs", "1"],
        cwd=git_repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    cache = git_repo / ".repro" / "cache"
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".tmp-") for p in cache.rglob("*")):
        assert time.monotonic() < deadline and process.poll() is None, "no write began"
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    store = Project(str(git_repo)).store()
    report = fsck(store)
    assert report.ok, report.problems
    finished = repro("snapshot", "data", "--json")
    assert finished.code == 0, finished.err
    assert repro("fsck").code == 0


def test_file_name_that_is_not_utf8(repro: Repro, git_repo: Path) -> None:
    (git_repo / "data").mkdir()
    name = os.path.join(os.fsencode(git_repo / "data"), b"caf\xe9.txt")
    with open(name, "wb") as file:
        file.write(b"1")
    line = one_line_error(repro("snapshot", "data"))
    assert "not valid UTF-8" in line and "caf" in line


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("[cache]\ntype = 5", "cache.type: must be a list"),
        ('[cache]\ntype = "copy"', "cache.type: must be a list"),
        ("[core]\nhash = {a = 1}", "core.hash: must be the name"),
        ("[core]\njobs = true", "core.jobs: must be a whole number"),
        ("[cache]\npack_threshold = true", "cache.pack_threshold: must be a size"),
    ],
)
def test_config_value_of_the_wrong_type(
    repro: Repro, git_repo: Path, setting: str, message: str
) -> None:
    (git_repo / ".repro" / "config.toml").write_text(setting + "\n")
    assert message in one_line_error(repro("fsck"))
