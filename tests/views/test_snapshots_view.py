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
from repro.store.trees import TREE_PREFIX
from repro.views.runs_page import InvalidPageError
from repro.views.snapshots import (
    FILES_PER_PAGE,
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


def _copy(quickstart: Quickstart, tmp_path: Path) -> Project:
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    return Project(str(root))


def _snapshot_folder(
    quickstart: Quickstart, tmp_path: Path, files: dict[str, bytes]
) -> tuple[Project, str]:
    project = _copy(quickstart, tmp_path)
    folder = Path(project.root, "extra")
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


@pytest.mark.parametrize("text", ["../objects", "zz" * 16, "abc", "A" * 31, "\u0130" * 32])
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


def test_an_id_in_upper_case_names_the_same_tree(ui_quickstart: Quickstart) -> None:
    drops = _drops(ui_quickstart)
    assert tree_listing(ui_quickstart.project, drops.upper()).oid == drops


def test_an_id_in_upper_case_downloads_the_same_object(ui_quickstart: Quickstart) -> None:
    entry = tree_listing(ui_quickstart.project, _drops(ui_quickstart)).files[0]
    download = object_download(ui_quickstart.project, entry.oid.upper())
    assert download.oid == entry.oid
    assert (
        b"".join(download.chunks) == (ui_quickstart.root / "data/drops" / entry.path).read_bytes()
    )


@pytest.mark.parametrize("data", [TREE_PREFIX, TREE_PREFIX + b'"xxh3-128","entries":[]}'])
def test_a_blob_that_starts_like_a_tree_is_not_a_tree(
    ui_quickstart: Quickstart, tmp_path: Path, data: bytes
) -> None:
    project = _copy(ui_quickstart, tmp_path)
    oid = project.store().write(data)
    with pytest.raises(NotATreeError, match="not a tree"):
        tree_listing(project, oid)


def _many_files(quickstart: Quickstart, tmp_path: Path, count: int) -> tuple[Project, str]:
    files = {f"f{number:04}.txt": b"%d" % number for number in range(count)}
    return _snapshot_folder(quickstart, tmp_path, files)


def test_a_large_tree_is_listed_a_page_at_a_time(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    project, tree = _many_files(ui_quickstart, tmp_path, FILES_PER_PAGE + 3)
    first, second = tree_listing(project, tree), tree_listing(project, tree, page=2)
    assert (len(first.files), first.count, first.pages, first.next) == (
        FILES_PER_PAGE,
        FILES_PER_PAGE + 3,
        2,
        2,
    )
    assert [f.path for f in second.files] == [
        f"f{n:04}.txt" for n in range(FILES_PER_PAGE, FILES_PER_PAGE + 3)
    ]
    assert (second.first, second.previous, second.next) == (FILES_PER_PAGE + 1, 1, None)


def test_a_page_beyond_the_last_shows_the_last(ui_quickstart: Quickstart) -> None:
    listing = tree_listing(ui_quickstart.project, _drops(ui_quickstart), page=9)
    assert (listing.page, listing.pages, len(listing.files)) == (1, 1, 2)


def test_page_zero_of_a_tree_is_an_error(ui_quickstart: Quickstart) -> None:
    with pytest.raises(InvalidPageError, match=r"page '0': pages count from 1"):
        tree_listing(ui_quickstart.project, _drops(ui_quickstart), page=0)


def test_listing_a_tree_loads_no_run_record(
    ui_quickstart: Quickstart, tmp_path: Path, loaded: list[str]
) -> None:
    project, drops = _copy(ui_quickstart, tmp_path), _drops(ui_quickstart)
    loaded.clear()
    (use,) = tree_listing(project, drops).uses
    assert (use.runs, loaded) == (1, [])
