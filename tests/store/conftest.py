"""Fixtures for the store tests: every backend the contract suite runs on,
and tools that reach under the store the way damage does (list its files,
flip a byte, cut a file short)."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from store_testing import ALGORITHM, PACK_THRESHOLD, FileList, RecordingBackend

from repro.store import Backend, FsspecBackend, LocalBackend, ObjectStore, open_backend


@pytest.fixture(params=["local", "memory", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each backend of the contract suite, on a root of its own: a folder,
    fsspec's memory filesystem and a real S3-compatible server."""
    if request.param == "local":
        yield LocalBackend(str(tmp_path / "store"))
        return
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        yield FsspecBackend(server.fs(), f"{server.new_bucket()}/store")
        return
    memory = open_backend(f"memory://test-{uuid.uuid4().hex}")
    assert isinstance(memory, FsspecBackend)
    yield memory
    if memory.fs.exists(memory.root):
        memory.fs.rm(memory.root, recursive=True)


@pytest.fixture
def store(backend: Backend) -> ObjectStore:
    return ObjectStore(backend, ALGORITHM, pack_threshold=PACK_THRESHOLD)


@pytest.fixture
def local_backend(tmp_path: Path) -> LocalBackend:
    return LocalBackend(str(tmp_path / "store"))


@pytest.fixture
def local_store(local_backend: LocalBackend) -> ObjectStore:
    return ObjectStore(local_backend, ALGORITHM, pack_threshold=PACK_THRESHOLD)


@pytest.fixture
def reopen(backend: Backend) -> Callable[[], ObjectStore]:
    """A fresh store on the same root, as another process would open it."""

    def make() -> ObjectStore:
        other = LocalBackend(backend.root) if isinstance(backend, LocalBackend) else backend
        return ObjectStore(other, ALGORITHM, pack_threshold=PACK_THRESHOLD)

    return make


def _all_files(backend: Backend) -> set[str]:
    if isinstance(backend, LocalBackend):
        return {
            os.path.relpath(os.path.join(folder, name), backend.root)
            for folder, _, names in os.walk(backend.root)
            for name in names
        }
    assert isinstance(backend, FsspecBackend)
    if not backend.fs.exists(backend.root):
        return set()
    return {path.removeprefix(backend.root + "/") for path in backend.fs.find(backend.root)}


def _rewrite(backend: Backend, path: str, edit: Callable[[bytes], bytes]) -> None:
    data = edit(backend.read_bytes(path))
    if isinstance(backend, LocalBackend):
        full = backend.full(path)
        os.chmod(full, 0o644)  # objects are read-only
        with open(full, "wb") as file:
            file.write(data)
        os.chmod(full, 0o444)
    else:
        assert isinstance(backend, FsspecBackend)
        backend.fs.pipe_file(backend.full(path), data)


@pytest.fixture
def files(backend: Backend) -> FileList:
    """Every file under the store root, relative to it."""
    return lambda: _all_files(backend)


@pytest.fixture
def flip_byte(backend: Backend) -> Callable[[str, int], None]:
    """Invert one byte of a stored file in place."""

    def flip(path: str, offset: int) -> None:
        def edit(data: bytes) -> bytes:
            return data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1 :]

        _rewrite(backend, path, edit)

    return flip


@pytest.fixture
def truncate(backend: Backend) -> Callable[[str, int], None]:
    """Cut a stored file down to ``length`` bytes."""
    return lambda path, length: _rewrite(backend, path, lambda data: data[:length])


@pytest.fixture
def recording(backend: Backend) -> RecordingBackend:
    return RecordingBackend(backend)


def _blob(size: int, seed: object = 0) -> bytes:
    return random.Random(f"{seed}:{size}").randbytes(size)


@pytest.fixture
def make_blob() -> Callable[..., bytes]:
    """``make_blob(size, seed)``: deterministic bytes, distinct per seed."""
    return _blob
