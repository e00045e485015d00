"""The snapshot browser's content: a tree's files and where runs met it,
and downloads that are the exact bytes, streamed, found only through the
tree's manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ui_testing import Quickstart

from repro.lineage.runs import RunIndex
from repro.project import Project
from repro.snapshot import snapshot
from repro.views.snapshots import (
    NotATreeError,
    ObjectIdError,
    ObjectMissingError,
    TreeFileNotFoundError,
    object_download,
    tree_file_download,
    tree_listing,
)


def _drops(quickstart: Quickstart) -> str:
    return RunIndex(quickstart.project.repro_dir).load(quickstart.retrain).inputs["data/drops/"].oid


def _snapshot_folder(
    quickstart: Quickstart, tmp_path: Path, files: dict[str, bytes]
) -> tuple[Project, str]:
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    project = Project(str(root))
    folder = root / "extra"
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    made = snapshot(str(folder), algorithm=project.config.core.hash, store=project.store())
    return project, made.oid


def test_a_tree_lists_its_files_with_sizes_and_total(ui_quickstart: Quickstart) -> None:
    listing = tree_listing(ui_quickstart.project, _drops(ui_quickstart))
    drops = ui_quickstart.root / "data" / "drops"
    assert [(f.path, f.size) for f in listing.files] == [
        (path.name, path.stat().st_size) for path in sorted(drops.iterdir())
    ]
    assert listing.size == sum(f.size for f in listing.files)


def test_a_tree_says_which_runs_read_it_as_data(ui_quickstart: Quickstart) -> None:
    (use,) = tree_listing(ui_quickstart.project, _drops(ui_quickstart)).uses
    assert (use.uri, use.runs, use.latest_run) == ("data/drops/", 1, ui_quickstart.retrain)


def test_a_file_of_a_tree_downloads_as_its_exact_bytes(ui_quickstart: Quickstart) -> None:
    download = tree_file_download(ui_quickstart.project, _drops(ui_quickstart), "drop-002.csv")
    expected = (ui_quickstart.root / "data" / "drops" / "drop-002.csv").read_bytes()
    assert (b"".join(download.chunks), download.size) == (expected, len(expected))
    assert download.filename == "drop-002.csv"


def test_an_object_downloads_by_id(ui_quickstart: Quickstart) -> None:
    entry = tree_listing(ui_quickstart.project, _drops(ui_quickstart)).files[0]
    download = object_download(ui_quickstart.project, entry.oid)
    assert (
        b"".join(download.chunks) == (ui_quickstart.root / "data/drops" / entry.path).read_bytes()
    )


def test_a_large_file_is_streamed_in_chunks(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    data = bytes(range(256)) * (3 * 4096 + 7)  # three MiB and a bit: a loose object
    project, tree = _snapshot_folder(ui_quickstart, tmp_path, {"big.bin": data})
    chunks = list(tree_file_download(project, tree, "big.bin").chunks)
    assert len(chunks) > 1
    assert b"".join(chunks) == data


def test_a_file_in_a_folder_downloads_under_its_own_name_only(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project, tree = _snapshot_folder(ui_quickstart, tmp_path, {'sub/a"b;c<d>.csv': b"x"})
    assert tree_file_download(project, tree, 'sub/a"b;c<d>.csv').filename == "a_b_c_d_.csv"


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "drops/drop-001.csv", ""])
def test_a_path_not_in_the_manifest_is_not_found(ui_quickstart: Quickstart, path: str) -> None:
    with pytest.raises(TreeFileNotFoundError, match="has no file"):
        tree_file_download(ui_quickstart.project, _drops(ui_quickstart), path)


@pytest.mark.parametrize("text", ["../objects", "zz" * 16, "abc", "A" * 32])
def test_an_id_that_is_not_a_whole_hex_id_is_refused(ui_quickstart: Quickstart, text: str) -> None:
    with pytest.raises(ObjectIdError, match="is not an object id"):
        tree_listing(ui_quickstart.project, text)


def test_a_tree_missing_from_the_store_says_to_pull(ui_quickstart: Quickstart) -> None:
    with pytest.raises(ObjectMissingError, match="not in the local store; run `repro pull`"):
        tree_listing(ui_quickstart.project, "0" * 32)


def test_an_object_missing_from_the_store_says_to_pull(ui_quickstart: Quickstart) -> None:
    with pytest.raises(ObjectMissingError, match="run `repro pull`"):
        object_download(ui_quickstart.project, "0" * 32)


def test_a_blob_is_not_a_tree(ui_quickstart: Quickstart) -> None:
    blob = tree_listing(ui_quickstart.project, _drops(ui_quickstart)).files[0].oid
    with pytest.raises(NotATreeError, match="not a tree"):
        tree_listing(ui_quickstart.project, blob)
