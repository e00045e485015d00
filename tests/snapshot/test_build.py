from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from repro_testing import age, write_files

from repro.snapshot import StatCache, snapshot
from repro.snapshot.errors import PathNotFoundError
from repro.snapshot.hashfiles import CHUNK_FILES, INLINE_FILES, _tasks
from repro.snapshot.statcache import Listings
from repro.snapshot.walk import Listing
from repro.store import ObjectStore, open_backend, read_tree

ALGO = "xxh3-128"


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(open_backend(str(tmp_path / "cache")), ALGO, pack_threshold=4096)


@pytest.fixture
def stat_cache(tmp_path: Path) -> StatCache:
    return StatCache(str(tmp_path / "state" / "state.db"), ALGO)


def test_same_content_same_tree_wherever_it_lies(tmp_path: Path) -> None:
    files = {"a.csv": b"1,2\n", "sub/b.bin": os.urandom(100)}
    one = snapshot(str(write_files(tmp_path / "one", files)), algorithm=ALGO)
    two = snapshot(str(write_files(tmp_path / "two", files)), algorithm=ALGO)
    assert one.oid == two.oid and one.files == 2


def test_content_change_changes_the_tree(tmp_path: Path) -> None:
    data = write_files(tmp_path / "d", {"a": b"1"})
    before = snapshot(str(data), algorithm=ALGO).oid
    (data / "a").write_bytes(b"2")
    assert snapshot(str(data), algorithm=ALGO).oid != before


def test_executable_bit_is_recorded(tmp_path: Path) -> None:
    data = write_files(tmp_path / "d", {"run.sh": b"echo"})
    plain = snapshot(str(data), algorithm=ALGO)
    (data / "run.sh").chmod(0o755)
    executable = snapshot(str(data), algorithm=ALGO)
    assert executable.tree.entries[0].executable and not plain.tree.entries[0].executable
    assert executable.oid != plain.oid


def test_storing_writes_every_blob_and_the_tree(tmp_path: Path, store: ObjectStore) -> None:
    data = write_files(tmp_path / "d", {"small": b"x" * 10, "big": os.urandom(10_000)})
    result = snapshot(str(data), algorithm=ALGO, store=store)
    assert read_tree(store, result.oid) == result.tree
    for entry in result.tree.entries:
        assert store.read(entry.oid) == (data / entry.path).read_bytes()
    assert store.local_path(result.tree.as_dict()["big"].oid) is not None  # loose
    assert store.is_packed(result.tree.as_dict()["small"].oid)


def test_hashing_alone_stores_nothing(tmp_path: Path, store: ObjectStore) -> None:
    data = write_files(tmp_path / "d", {"a": b"1"})
    result = snapshot(str(data), algorithm=ALGO)
    assert not result.stored and not store.exists(result.oid)


def test_stat_cache_answers_for_unchanged_files(tmp_path: Path, stat_cache: StatCache) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "b/c": b"2"})
    age(data)
    first = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    second = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert (first.hashed, first.reused) == (2, 0)
    assert (second.hashed, second.reused) == (0, 2)
    assert first.oid == second.oid


def test_stat_cache_notices_a_modified_file(tmp_path: Path, stat_cache: StatCache) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "b": b"2"})
    age(data)
    before = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    (data / "a").write_bytes(b"9")  # same size, new mtime
    after = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert after.oid != before.oid and (after.hashed, after.reused) == (1, 1)
    assert after.oid == snapshot(str(data), algorithm=ALGO).oid


def test_a_rewrite_that_puts_the_mtime_back_is_noticed(
    tmp_path: Path, stat_cache: StatCache
) -> None:
    # As `cp -p` onto the file, or a tool that keeps timestamps, leaves it:
    # same inode, same size, same mtime; only the ctime tells.
    data = write_files(tmp_path / "d", {"a": b"1", "b": b"2"})
    age(data)
    before = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    kept = os.stat(data / "a")
    with open(data / "a", "r+b") as file:
        file.write(b"9")
    os.utime(data / "a", ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert os.stat(data / "a").st_mtime_ns == kept.st_mtime_ns
    after = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert after.oid != before.oid and after.oid == snapshot(str(data), algorithm=ALGO).oid


def test_recently_modified_files_are_not_cached(tmp_path: Path, stat_cache: StatCache) -> None:
    data = write_files(tmp_path / "d", {"a": b"1"})
    snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache).hashed == 1


def test_stat_cache_forgets_deleted_files(tmp_path: Path, stat_cache: StatCache) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "b": b"2"})
    age(data)
    snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    (data / "b").unlink()
    snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert list(stat_cache.load(str(data))[str(data)]) == ["a"]


def test_parallel_workers_give_the_same_tree(tmp_path: Path, store: ObjectStore) -> None:
    files = {f"d{i % 7}/f{i}": i.to_bytes(4, "big") * (i % 50) for i in range(INLINE_FILES + 500)}
    data = write_files(tmp_path / "d", files)
    serial = snapshot(str(data), algorithm=ALGO, jobs=1)
    parallel = snapshot(str(data), algorithm=ALGO, store=store, jobs=2)
    assert serial.oid == parallel.oid
    assert not store.missing(entry.oid for entry in parallel.tree.entries)


def test_a_single_file(tmp_path: Path) -> None:
    data = write_files(tmp_path, {"model.bin": b"weights"})
    result = snapshot(str(data / "model.bin"), algorithm=ALGO)
    assert [entry.path for entry in result.tree.entries] == ["model.bin"]


def test_large_file_is_streamed_to_the_same_id(tmp_path: Path, store: ObjectStore) -> None:
    payload = os.urandom(3 << 20)
    data = write_files(tmp_path / "d", {"big": payload})
    hashed = snapshot(str(data), algorithm=ALGO)
    stored = snapshot(str(data), algorithm=ALGO, store=store)
    assert hashed.oid == stored.oid
    assert store.read(stored.tree.entries[0].oid) == payload


def test_fsspec_url_matches_the_local_folder(tmp_path: Path) -> None:
    files = {"a.csv": b"1,2\n", "sub/b.bin": b"\x00" * 100}
    local = snapshot(str(write_files(tmp_path / "d", files)), algorithm=ALGO)
    fs = fsspec.filesystem("memory")
    for name, data in files.items():
        fs.pipe_file(f"/snapshot-test/{name}", data)
    try:
        remote = snapshot("memory://snapshot-test", algorithm=ALGO)
    finally:
        fs.rm("/snapshot-test", recursive=True)
    assert remote.oid == local.oid


def test_missing_url(tmp_path: Path) -> None:
    with pytest.raises(PathNotFoundError, match="memory://nothing-here"):
        snapshot("memory://nothing-here", algorithm=ALGO)


def test_other_algorithms_give_their_own_ids(tmp_path: Path) -> None:
    data = write_files(tmp_path / "d", {"a": b"1"})
    ids = {algo: snapshot(str(data), algorithm=algo).oid for algo in ("xxh3-128", "md5", "sha256")}
    assert len(set(ids.values())) == 3 and len(ids["sha256"]) == 64


def test_file_vanishing_mid_snapshot_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "b": b"2"})
    from repro.snapshot import build

    real = build.start_listing

    def listed_then_deleted(
        path: str, listings: Listings | None = None
    ) -> tuple[Listing, Iterator[str]]:
        listing, names = real(path, listings)
        walked = list(names)  # the walk saw "b" …
        (data / "b").unlink()  # … and it is gone before it is read
        return listing, iter(walked)

    monkeypatch.setattr(build, "start_listing", listed_then_deleted)
    with pytest.raises(PathNotFoundError, match="b"):
        snapshot(str(data), algorithm=ALGO)


def test_unchanged_folder_reuses_its_tree_without_rebuilding(
    tmp_path: Path, stat_cache: StatCache, store: ObjectStore
) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "b/c": b"22"})
    age(data)
    first = snapshot(str(data), algorithm=ALGO, store=store, stat_cache=stat_cache)
    again = snapshot(str(data), algorithm=ALGO, store=store, stat_cache=stat_cache)
    assert stat_cache.tree(str(data)) is not None
    assert (again.oid, again.files, again.bytes, again.reused) == (first.oid, 2, 3, 2)
    assert again.tree == first.tree  # rebuilt from the stat cache on demand


def test_chmod_alone_is_noticed_through_the_stat_cache(
    tmp_path: Path, stat_cache: StatCache
) -> None:
    data = write_files(tmp_path / "d", {"run.sh": b"echo"})
    age(data)
    before = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    (data / "run.sh").chmod(0o755)  # changes ctime only, not mtime
    after = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert after.oid != before.oid and after.tree.entries[0].executable


def test_change_seen_through_a_subfolder_invalidates_the_parent_tree(
    tmp_path: Path, stat_cache: StatCache
) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "sub/b": b"2"})
    age(data)
    snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    (data / "sub" / "b").write_bytes(b"3")
    age(data / "sub" / "b", seconds=30)  # old enough to cache, yet a new mtime
    assert snapshot(str(data / "sub"), algorithm=ALGO, stat_cache=stat_cache).hashed == 1
    parent = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert parent.reused == 2  # every file matched the cache …
    assert parent.oid == snapshot(str(data), algorithm=ALGO).oid  # … yet the tree is new


def test_deleted_file_is_not_mistaken_for_an_unchanged_tree(
    tmp_path: Path, stat_cache: StatCache
) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "b": b"2"})
    age(data)
    before = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    (data / "b").unlink()
    after = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert after.oid != before.oid and after.files == 1


def test_one_change_among_many_chunks(tmp_path: Path, stat_cache: StatCache) -> None:
    files = {f"d{i % 9}/f{i}": str(i).encode() for i in range(INLINE_FILES * 2)}
    data = write_files(tmp_path / "d", files)
    age(data)
    snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache, jobs=2)
    (data / "d3" / "f3").write_bytes(b"changed")
    age(data / "d3" / "f3", seconds=30)
    again = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache, jobs=2)
    assert (again.hashed, again.reused) == (1, len(files) - 1)
    assert again.oid == snapshot(str(data), algorithm=ALGO, jobs=1).oid
    assert again.tree.as_dict()["d3/f3"].size == len(b"changed")


@pytest.mark.parametrize("count", [INLINE_FILES, 3 * CHUNK_FILES + 5, 5 * CHUNK_FILES])
def test_runs_cover_the_listing_once_in_order(count: int) -> None:
    names = [f"f{i:06}" for i in range(count)]
    listed = names[:INLINE_FILES]
    runs = list(_tasks(listed, iter(names[INLINE_FILES:]), 2))
    assert [name for _, run in runs for name in run] == names
    assert [start for start, _ in runs] == sorted({start for start, _ in runs})
    assert max(len(run) for _, run in runs) <= CHUNK_FILES
    assert len(runs) >= 2  # both workers get work


def test_unchanged_folders_are_not_read_again(
    tmp_path: Path, stat_cache: StatCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "sub/b": b"2", "sub/deep/c": b"3"})
    age(data)
    for folder in (data, data / "sub", data / "sub" / "deep"):
        os.utime(folder, (1_000_000_000, 1_000_000_000))
    first = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    from repro.snapshot import walk

    read: list[str] = []
    real = walk._read_folder

    def counting(directory: str, ancestors: set[tuple[int, int]]) -> tuple[list[str], set[str]]:
        read.append(directory)
        return real(directory, ancestors)

    monkeypatch.setattr(walk, "_read_folder", counting)
    again = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert read == [] and again.oid == first.oid


def test_a_new_file_changes_the_folder_and_is_seen(tmp_path: Path, stat_cache: StatCache) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "sub/b": b"2"})
    age(data)
    for folder in (data, data / "sub"):
        os.utime(folder, (1_000_000_000, 1_000_000_000))
    snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    (data / "sub" / "new").write_bytes(b"new")  # updates the folder's mtime
    again = snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)
    assert "sub/new" in again.tree.as_dict()
    assert again.oid == snapshot(str(data), algorithm=ALGO).oid


def test_hash_only_run_then_storing_run_stores_every_blob(
    tmp_path: Path, stat_cache: StatCache, store: ObjectStore
) -> None:
    data = write_files(tmp_path / "d", {"a": b"1", "b/c": b"2" * 5000})
    age(data)
    snapshot(str(data), algorithm=ALGO, stat_cache=stat_cache)  # fills the stat cache only
    stored = snapshot(str(data), algorithm=ALGO, store=store, stat_cache=stat_cache)
    assert not store.missing(entry.oid for entry in stored.tree.entries)


def test_deleted_cache_folder_is_filled_again(tmp_path: Path, stat_cache: StatCache) -> None:
    data = write_files(tmp_path / "d", {f"f{i}": str(i).encode() for i in range(INLINE_FILES + 10)})
    age(data)
    first = ObjectStore(open_backend(str(tmp_path / "one")), ALGO)
    snapshot(str(data), algorithm=ALGO, store=first, stat_cache=stat_cache, jobs=2)
    second = ObjectStore(open_backend(str(tmp_path / "two")), ALGO)
    result = snapshot(str(data), algorithm=ALGO, store=second, stat_cache=stat_cache, jobs=2)
    assert not second.missing(entry.oid for entry in result.tree.entries)
