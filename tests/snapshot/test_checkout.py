from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from repro_testing import write_files

from repro.snapshot import CheckoutConflictError, InvalidLinkTypeError, snapshot
from repro.snapshot.checkout import DestinationNotAFolderError, checkout
from repro.snapshot.errors import ProtectedPathError
from repro.store import CorruptObjectError, ObjectStore, Tree, open_backend

ALGO = "xxh3-128"


def _store(root: Path, pack_threshold: int = 1 << 20) -> ObjectStore:
    return ObjectStore(open_backend(str(root / "cache")), ALGO, pack_threshold=pack_threshold)


def _stored_tree(store: ObjectStore, folder: Path, files: dict[str, bytes]) -> Tree:
    return snapshot(str(write_files(folder, files)), algorithm=ALGO, store=store).tree


def _contents(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


FILES = {"a.csv": b"1,2\n", "sub/b.bin": b"\x01" * 50, "sub/deep/c.txt": b"c"}


def test_checkout_into_a_new_folder(tmp_path: Path) -> None:
    store = _store(tmp_path)
    tree = _stored_tree(store, tmp_path / "src", FILES)
    result = checkout(store, tree, str(tmp_path / "out"))
    assert _contents(tmp_path / "out") == FILES
    assert sorted(result.added) == sorted(FILES) and not result.modified and not result.deleted


def test_checkout_of_an_up_to_date_folder_changes_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    tree = _stored_tree(store, tmp_path / "src", FILES)
    result = checkout(store, tree, str(tmp_path / "src"))
    assert not result.changed and result.unchanged == len(FILES)


def test_checkout_restores_modified_and_deletes_extra_stored_files(tmp_path: Path) -> None:
    store = _store(tmp_path)
    tree = _stored_tree(store, tmp_path / "src", FILES)
    _stored_tree(store, tmp_path / "src", {"a.csv": b"changed", "extra/new.txt": b"new"})
    result = checkout(store, tree, str(tmp_path / "src"))
    assert _contents(tmp_path / "src") == FILES
    assert result.modified == ["a.csv"] and result.deleted == ["extra/new.txt"]
    assert not (tmp_path / "src" / "extra").exists()  # emptied folders go too


def test_refuses_to_destroy_content_that_is_not_stored(tmp_path: Path) -> None:
    store = _store(tmp_path)
    tree = _stored_tree(store, tmp_path / "src", FILES)
    (tmp_path / "src" / "a.csv").write_bytes(b"unsaved work")
    with pytest.raises(CheckoutConflictError, match=r"1 file\(s\).*a\.csv.*--force"):
        checkout(store, tree, str(tmp_path / "src"))
    assert (tmp_path / "src" / "a.csv").read_bytes() == b"unsaved work"


def test_force_overwrites_unstored_content(tmp_path: Path) -> None:
    store = _store(tmp_path)
    tree = _stored_tree(store, tmp_path / "src", FILES)
    (tmp_path / "src" / "unsaved.txt").write_bytes(b"unsaved")
    checkout(store, tree, str(tmp_path / "src"), force=True)
    assert _contents(tmp_path / "src") == FILES


def test_loose_objects_are_hard_linked_read_only(tmp_path: Path) -> None:
    store = _store(tmp_path, pack_threshold=0)
    tree = _stored_tree(store, tmp_path / "src", {"big": b"x" * 100})
    result = checkout(store, tree, str(tmp_path / "out"), link_types=["hardlink", "copy"])
    info = os.stat(tmp_path / "out" / "big")
    assert result.links["hardlink"] == 1 and info.st_nlink == 2
    assert not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_packed_objects_are_copied(tmp_path: Path) -> None:
    store = _store(tmp_path)
    tree = _stored_tree(store, tmp_path / "src", FILES)
    result = checkout(store, tree, str(tmp_path / "out"), link_types=["hardlink", "copy"])
    assert result.links == {"copy": len(FILES)}
    assert os.stat(tmp_path / "out" / "a.csv").st_nlink == 1


def test_reflink_falls_back_where_the_filesystem_has_none(tmp_path: Path) -> None:
    store = _store(tmp_path, pack_threshold=0)
    tree = _stored_tree(store, tmp_path / "src", {"f": b"data"})
    result = checkout(store, tree, str(tmp_path / "out"))
    assert sum(result.links.values()) == 1
    assert (tmp_path / "out" / "f").read_bytes() == b"data"


def test_executable_files_stay_executable(tmp_path: Path) -> None:
    store = _store(tmp_path, pack_threshold=0)
    src = write_files(tmp_path / "src", {"run.sh": b"#!/bin/sh\n"})
    (src / "run.sh").chmod(0o755)
    tree = snapshot(str(src), algorithm=ALGO, store=store).tree
    checkout(store, tree, str(tmp_path / "out"), link_types=["hardlink", "copy"])
    assert os.stat(tmp_path / "out" / "run.sh").st_mode & stat.S_IXUSR


def test_file_standing_where_a_folder_must_go(tmp_path: Path) -> None:
    store = _store(tmp_path)
    tree = _stored_tree(store, tmp_path / "src", {"a/b": b"1"})
    _stored_tree(store, tmp_path / "dest", {"a": b"in the way"})
    checkout(store, tree, str(tmp_path / "dest"))
    assert _contents(tmp_path / "dest") == {"a/b": b"1"}


def test_corrupt_object_leaves_the_old_file_in_place(tmp_path: Path) -> None:
    store = _store(tmp_path, pack_threshold=0)
    tree = _stored_tree(store, tmp_path / "src", {"f": b"good data"})
    _stored_tree(store, tmp_path / "dest", {"f": b"older data"})
    obj = store.local_path(tree.entries[0].oid)
    assert obj is not None
    os.chmod(obj, 0o644)
    Path(obj).write_bytes(b"evil data")
    with pytest.raises(CorruptObjectError, match=tree.entries[0].oid):
        checkout(store, tree, str(tmp_path / "dest"), link_types=["copy"])
    assert (tmp_path / "dest" / "f").read_bytes() == b"older data"
    assert sorted(os.listdir(tmp_path / "dest")) == ["f"]  # no temp file left


def test_unknown_link_type(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(InvalidLinkTypeError, match="symlink"):
        checkout(store, Tree(ALGO, ()), str(tmp_path / "out"), link_types=["symlink"])


def test_destination_that_is_a_file(tmp_path: Path) -> None:
    store = _store(tmp_path)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(DestinationNotAFolderError, match="not a folder"):
        checkout(store, Tree(ALGO, ()), str(tmp_path / "file"))


@pytest.mark.parametrize("where", [".git/x", ".repro", "sub/.git/hooks"])
def test_checkout_never_writes_into_git_or_repro_folders(tmp_path: Path, where: str) -> None:
    store = _store(tmp_path)
    tree = _stored_tree(store, tmp_path / "src", FILES)
    with pytest.raises(ProtectedPathError, match=r"inside a \.git or \.repro folder"):
        checkout(store, tree, str(tmp_path / where))
    assert not (tmp_path / where).exists()


def test_checkout_into_the_store_or_around_it_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path, pack_threshold=0)
    tree = _stored_tree(store, tmp_path / "src", FILES)
    before = sorted(p.name for p in (tmp_path / "cache").rglob("*"))
    with pytest.raises(ProtectedPathError, match="object store"):
        checkout(store, tree, str(tmp_path / "cache"))
    with pytest.raises(ProtectedPathError, match="object store"):
        checkout(store, tree, str(tmp_path))  # would delete the store's files
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*")) == before


def test_checkout_does_not_delete_or_write_through_a_link_out_of_dest(tmp_path: Path) -> None:
    store = _store(tmp_path)
    tree = _stored_tree(store, tmp_path / "src", {"a.csv": b"1"})
    outside = write_files(tmp_path / "outside", {"x": b"precious"})
    dest = write_files(tmp_path / "dest", {"a.csv": b"1"})
    os.symlink(outside, dest / "sub")
    snapshot(str(outside), algorithm=ALGO, store=store)  # "x" is stored: no conflict
    with pytest.raises(ProtectedPathError, match="symbolic link"):
        checkout(store, tree, str(dest))
    assert (outside / "x").read_bytes() == b"precious"


def test_hard_link_of_a_file_with_a_name_of_the_longest_length(tmp_path: Path) -> None:
    store = _store(tmp_path, pack_threshold=0)
    name = "n" * 255
    tree = _stored_tree(store, tmp_path / "src", {name: b"data"})
    result = checkout(store, tree, str(tmp_path / "out"), link_types=["hardlink"])
    assert result.links == {"hardlink": 1} and (tmp_path / "out" / name).read_bytes() == b"data"
