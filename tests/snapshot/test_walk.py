from __future__ import annotations

import os
from pathlib import Path

import pytest
from repro_testing import write_files

from repro.snapshot.errors import (
    BrokenSymlinkError,
    PathNotFoundError,
    ProtectedPathError,
    SymlinkLoopError,
    UnsupportedFileError,
)
from repro.snapshot.walk import list_files


def test_lists_files_relative_to_the_root(tmp_path: Path) -> None:
    write_files(tmp_path, {"a.csv": b"1", "sub/b.csv": b"2", "sub/deep/c": b"3"})
    assert sorted(list_files(str(tmp_path)).names) == ["a.csv", "sub/b.csv", "sub/deep/c"]


def test_skips_git_and_repro_folders(tmp_path: Path) -> None:
    write_files(tmp_path, {"keep": b"1", ".git/HEAD": b"x", "sub/.repro/config.toml": b"y"})
    assert list_files(str(tmp_path)).names == ["keep"]


def test_a_single_file_is_its_own_listing(tmp_path: Path) -> None:
    write_files(tmp_path, {"one.bin": b"1"})
    listing = list_files(str(tmp_path / "one.bin"))
    assert listing.single and listing.names == ["one.bin"]
    assert listing.root == str(tmp_path / "one.bin")


def test_follows_symlinks_to_files_and_folders(tmp_path: Path) -> None:
    write_files(tmp_path, {"real/x": b"1", "data/y": b"2"})
    os.symlink(tmp_path / "real", tmp_path / "data" / "linked")
    os.symlink(tmp_path / "real" / "x", tmp_path / "data" / "x-link")
    assert sorted(list_files(str(tmp_path / "data")).names) == ["linked/x", "x-link", "y"]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(PathNotFoundError, match="no such file or directory"):
        list_files(str(tmp_path / "nope"))


def test_self_referencing_symlink_is_a_loop(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    os.symlink("loop", tmp_path / "data" / "loop")
    with pytest.raises(SymlinkLoopError, match="symbolic link loop"):
        list_files(str(tmp_path / "data"))


def test_symlink_to_an_ancestor_folder_is_a_loop(tmp_path: Path) -> None:
    write_files(tmp_path, {"data/sub/f": b"1"})
    os.symlink(tmp_path / "data", tmp_path / "data" / "sub" / "up")
    with pytest.raises(SymlinkLoopError, match="up"):
        list_files(str(tmp_path / "data"))


def test_broken_symlink_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    os.symlink(tmp_path / "gone", tmp_path / "data" / "dangling")
    with pytest.raises(BrokenSymlinkError, match="dangling"):
        list_files(str(tmp_path / "data"))


def test_named_pipe_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    os.mkfifo(tmp_path / "data" / "pipe")
    with pytest.raises(UnsupportedFileError, match="named pipe"):
        list_files(str(tmp_path / "data"))


def test_listing_comes_in_full_path_order(tmp_path: Path) -> None:
    # "a.txt" < "a/x" < "a0" as strings: the walk must yield exactly that.
    names = ["a0", "a/x", "a.txt", "a/b/c", "a-b/y", "b", "a/b.txt"]
    write_files(tmp_path, {name: b"1" for name in names})
    listed = list_files(str(tmp_path)).names
    assert listed == sorted(names)


@pytest.mark.parametrize("inside", [".git", ".repro/cache", "sub/.git"])
def test_paths_inside_git_or_repro_are_refused(tmp_path: Path, inside: str) -> None:
    write_files(tmp_path, {f"{inside}/f": b"1"})
    with pytest.raises(ProtectedPathError, match=r"\.git or \.repro"):
        list_files(str(tmp_path / inside))
