"""The raw floors: the fastest a single Python process can read pre-listed
files and hash them with xxh3-128 (the read+hash floor), and also write
their bytes to the same disk and fsync them (the store floor: small files
appended to one pack-like file, large ones copied to a file each), without
repro in the way."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import xxhash

from benchmarks.common import best_of, fresh_dir

__all__ = [
    "STREAM_AT",
    "Floor",
    "measure_floor",
    "measure_store_floor",
    "os_read_floor",
    "simple_floor",
    "store_floor",
]

STREAM_AT = 1 << 20  # files this large are read in 1 MiB pieces
_BUFFER = 1 << 20


@dataclass(frozen=True)
class Floor:
    """Seconds of each run of both floor loops (the best is the floor)."""

    os_read: list[float]
    simple: list[float]

    @property
    def best(self) -> float:
        return min(self.os_read)


def os_read_floor(paths: list[str]) -> None:
    """``os.open`` + ``fstat`` + one ``os.read`` + one-shot hash per file
    (a 1 MiB ``readinto`` loop into a streaming hasher for large files)."""
    hexdigest = xxhash.xxh3_128_hexdigest
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        size = os.fstat(fd).st_size
        if size >= STREAM_AT:
            _stream(fd)
        else:
            hexdigest(os.read(fd, size))
        os.close(fd)


def _stream(fd: int) -> str:
    hasher = xxhash.xxh3_128()
    buffer = bytearray(_BUFFER)
    view = memoryview(buffer)
    with os.fdopen(fd, "rb", buffering=0, closefd=False) as file:
        while count := file.readinto(buffer):
            hasher.update(view[:count])
    return str(hasher.hexdigest())


def simple_floor(paths: list[str]) -> None:
    """What most code would write: ``open(path, 'rb').read()``, then hash."""
    hexdigest = xxhash.xxh3_128_hexdigest
    for path in paths:
        with open(path, "rb") as file:
            hexdigest(file.read())


def measure_floor(paths: list[str], runs: int = 3) -> Floor:
    return Floor(
        best_of(runs, lambda: os_read_floor(paths)), best_of(runs, lambda: simple_floor(paths))
    )


def store_floor(paths: list[str], dest: Path) -> None:
    """Read, hash and write every file into ``dest``, then fsync."""
    hexdigest = xxhash.xxh3_128_hexdigest
    with open(dest / "pack", "wb") as pack:
        for index, path in enumerate(paths):
            fd = os.open(path, os.O_RDONLY)
            size = os.fstat(fd).st_size
            if size >= STREAM_AT:
                _stream_copy(fd, dest / f"loose-{index}")
            else:
                data = os.read(fd, size)
                hexdigest(data)
                pack.write(data)
            os.close(fd)
        pack.flush()
        os.fsync(pack.fileno())


def _stream_copy(fd: int, dest: Path) -> str:
    hasher = xxhash.xxh3_128()
    buffer = bytearray(_BUFFER)
    view = memoryview(buffer)
    with os.fdopen(fd, "rb", buffering=0, closefd=False) as file, open(dest, "wb", 0) as out:
        while count := file.readinto(buffer):
            hasher.update(view[:count])
            out.write(view[:count])
        os.fsync(out.fileno())
    return str(hasher.hexdigest())


def measure_store_floor(paths: list[str], scratch: Path, runs: int = 3) -> list[float]:
    """Seconds of each run of ``store_floor`` into a fresh ``scratch``."""
    seconds = best_of(runs, lambda: store_floor(paths, scratch), lambda: fresh_dir(scratch))
    fresh_dir(scratch)
    return seconds
