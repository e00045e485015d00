"""Shared by the store tests (conftest.py holds the fixtures): the settings
the stores are opened with, and a backend that records what it is asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

from repro.store import Backend
from repro.store.backend import FileInfo, PendingWrite

ALGORITHM = "xxh3-128"
PACK_THRESHOLD = 1024  # small, so that "large" objects stay cheap to make

FileList = Callable[[], set[str]]


class RecordingBackend(Backend):
    """Passes every call through to ``inner`` and records which were made."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.root = inner.root
        self.calls: list[tuple[str, str]] = []

    def exists(self, path: str) -> bool:
        self.calls.append(("exists", path))
        return self.inner.exists(path)

    def read_bytes(self, path: str) -> bytes:
        self.calls.append(("read_bytes", path))
        return self.inner.read_bytes(path)

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        self.calls.append(("read_range", path))
        return self.inner.read_range(path, offset, length)

    def open_read(self, path: str) -> IO[bytes]:
        self.calls.append(("open_read", path))
        return self.inner.open_read(path)

    def begin_write(self, directory: str) -> PendingWrite:
        self.calls.append(("begin_write", directory))
        return self.inner.begin_write(directory)

    def write_atomic(self, path: str, chunks: Iterable[bytes | memoryview]) -> None:
        self.calls.append(("write_atomic", path))
        self.inner.write_atomic(path, chunks)

    def listdir(self, directory: str) -> list[str]:
        self.calls.append(("listdir", directory))
        return self.inner.listdir(directory)

    def remove(self, path: str) -> None:
        self.calls.append(("remove", path))
        self.inner.remove(path)

    def size(self, path: str) -> int:
        self.calls.append(("size", path))
        return self.inner.size(path)

    def local_path(self, path: str) -> str | None:
        self.calls.append(("local_path", path))
        return self.inner.local_path(path)

    def list_files(self, directory: str) -> dict[str, FileInfo]:
        self.calls.append(("list_files", directory))
        return self.inner.list_files(directory)

    def touch(self, path: str) -> None:
        self.calls.append(("touch", path))
        self.inner.touch(path)
