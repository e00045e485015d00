"""Backends: the primitives under the store, and what a full disk does to them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import xxhash
from store_testing import FileList

from repro.store import (
    Backend,
    FsspecBackend,
    LocalBackend,
    ObjectStore,
    StoreWriteError,
    open_backend,
)
from repro.store.fs import MissingFilesystemError

Blob = Callable[..., bytes]


# the primitives


def test_write_atomic_then_read(backend: Backend) -> None:
    backend.write_atomic("a/b/file", [b"one", memoryview(b"two")])
    assert backend.read_bytes("a/b/file") == b"onetwo"


def test_write_atomic_that_fails_leaves_nothing(backend: Backend, files: FileList) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"half"
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        backend.write_atomic("a/file", chunks())
    assert files() == set()


def test_read_range_reads_a_slice(backend: Backend) -> None:
    backend.write_atomic("file", [b"0123456789"])
    assert backend.read_range("file", 3, 4) == b"3456"


def test_open_read_streams_the_file(backend: Backend) -> None:
    backend.write_atomic("file", [b"streamed"])
    with backend.open_read("file") as file:
        assert file.read() == b"streamed"


def test_size_is_the_byte_count(backend: Backend) -> None:
    backend.write_atomic("file", [b"12345"])
    assert backend.size("file") == 5


def test_exists_and_remove(backend: Backend) -> None:
    backend.write_atomic("file", [b"x"])
    assert backend.exists("file")
    backend.remove("file")
    assert not backend.exists("file")


def test_remove_of_a_missing_file_is_a_no_op(backend: Backend) -> None:
    backend.remove("never/there")
    assert not backend.exists("never/there")


def test_listdir_names_the_entries(backend: Backend) -> None:
    backend.write_atomic("dir/a", [b"a"])
    backend.write_atomic("dir/sub/b", [b"b"])
    assert sorted(backend.listdir("dir")) == ["a", "sub"]


def test_listdir_of_a_missing_folder_is_empty(backend: Backend) -> None:
    assert backend.listdir("no/such/folder") == []


def test_local_backend_writes_read_only_files(local_backend: LocalBackend) -> None:
    local_backend.write_atomic("file", [b"x"])
    assert os.stat(local_backend.full("file")).st_mode & 0o777 == 0o444


# opening by URL


@pytest.mark.parametrize("prefix", ["", "file://"])
def test_open_backend_of_a_path_is_local(tmp_path: Path, prefix: str) -> None:
    backend = open_backend(f"{prefix}{tmp_path}")
    assert isinstance(backend, LocalBackend)
    assert backend.root == str(tmp_path)


def test_open_backend_of_a_url_is_fsspec() -> None:
    backend = open_backend("memory://open-backend-test")
    assert isinstance(backend, FsspecBackend)
    assert backend.root == "/open-backend-test"


def test_open_backend_of_an_unknown_protocol_says_so() -> None:
    with pytest.raises(MissingFilesystemError, match=r"^cannot open 'nosuch://bucket': "):
        open_backend("nosuch://bucket")


# a full disk


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs: a real disk that fills up. Mounting needs root, which
    the tests have here and in CI, so a failure to mount fails the test."""
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mountpoint)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the full-disk test: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


@pytest.fixture
def full_store(tiny_disk: Path) -> ObjectStore:
    return ObjectStore(LocalBackend(str(tiny_disk / "store")), "xxh3-128", pack_threshold=1024)


def files_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_write_larger_than_the_disk_fails_cleanly(
    full_store: ObjectStore, tiny_disk: Path, make_blob: Blob
) -> None:
    data = make_blob(1 << 20)
    with pytest.raises(StoreWriteError, match="no space left on the device"):
        full_store.write(data)
    assert not full_store.exists(xxhash.xxh3_128_hexdigest(data))
    assert files_under(tiny_disk) == []


def test_write_stream_larger_than_the_disk_fails_cleanly(
    full_store: ObjectStore, tiny_disk: Path, make_blob: Blob
) -> None:
    data = make_blob(1 << 20)
    chunks = (data[i : i + 100_000] for i in range(0, len(data), 100_000))
    with pytest.raises(StoreWriteError, match="no space left on the device"):
        full_store.write_stream(chunks)
    assert not full_store.exists(xxhash.xxh3_128_hexdigest(data))
    assert files_under(tiny_disk) == []


def test_batch_larger_than_the_disk_fails_cleanly(
    full_store: ObjectStore, tiny_disk: Path, make_blob: Blob
) -> None:
    objects = [make_blob(1000, seed=i) for i in range(400)]
    with (
        pytest.raises(StoreWriteError, match="no space left on the device"),
        full_store.batch() as batch,
    ):
        for data in objects:
            batch.add(data)
    assert full_store.missing(xxhash.xxh3_128_hexdigest(data) for data in objects) == {
        xxhash.xxh3_128_hexdigest(data) for data in objects
    }
    assert files_under(tiny_disk) == []


def test_store_is_usable_after_a_full_disk(full_store: ObjectStore, make_blob: Blob) -> None:
    with pytest.raises(StoreWriteError, match="no space left"):
        full_store.write(make_blob(1 << 20))
    data = make_blob(200 << 10)  # fits only if the failed write freed its space
    assert full_store.read(full_store.write(data)) == data


def test_write_error_names_the_store_path(
    full_store: ObjectStore, tiny_disk: Path, make_blob: Blob
) -> None:
    with pytest.raises(StoreWriteError, match=rf"^cannot write to the store at {tiny_disk}/store/"):
        full_store.write(make_blob(1 << 20))


def test_write_error_is_an_os_error(full_store: ObjectStore, make_blob: Blob) -> None:
    with pytest.raises(OSError, match="no space left"):
        full_store.write(make_blob(1 << 20))
