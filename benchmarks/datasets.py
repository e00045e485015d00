"""The benchmark datasets: seeded random bytes, generated once and reused
(a marker file records what was generated), with old fixed mtimes so that
no file is "racily clean" for repro's stat cache or Git's index."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.common import Context, note

__all__ = ["Dataset", "copy_tree", "dataset", "human_size", "list_files", "warm"]

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
FIXED_MTIME = 1_600_000_000  # September 2020: far older than any racy window
FORMAT = 1  # bump when the layout or the generator changes
_CHUNK = MIB


@dataclass(frozen=True)
class Dataset:
    """``files`` files of ``file_size`` bytes in ``folders`` folders; a single
    file (``folders == 0``) is ``<root>/<name>/data.bin`` and is itself the
    snapshot target."""

    name: str
    label: str
    files: int
    file_size: int
    folders: int
    seed: int
    path: Path

    @property
    def total_bytes(self) -> int:
        return self.files * self.file_size

    @property
    def target(self) -> Path:
        """What a snapshot is taken of: the file itself, or the folder."""
        return self.path / "data.bin" if self.folders == 0 else self.path

    def paths(self) -> list[str]:
        """Every file, in a fixed order (the floors' pre-listed input)."""
        if self.folders == 0:
            return [str(self.target)]
        per_folder = self.files // self.folders
        return [
            str(self.path / f"d{index // per_folder:03d}" / f"f{index:06d}.bin")
            for index in range(self.files)
        ]

    def marker(self) -> Path:
        return self.path.with_name(self.path.name + ".done")

    def describe(self) -> dict[str, object]:
        spec = asdict(self)
        spec["path"] = str(self.path)
        spec["format"] = FORMAT
        return spec


_SPECS = {
    # name: (files, file size, folders, seed)
    "large": (1, GIB, 0, 1),
    "medium": (10_000, 100 * KIB, 100, 2),
    "small": (100_000, KIB, 100, 3),
}


def dataset(ctx: Context, name: str) -> Dataset:
    """The dataset ``name`` at this run's scale, generated if missing."""
    files, size, folders, seed = _SPECS[name]
    if ctx.quick:
        files, size = (files, size // ctx.scale) if folders == 0 else (files // ctx.scale, size)
    label = f"{files:,} x {human_size(size)}"
    data = Dataset(name, label, files, size, folders, seed, ctx.root / "datasets" / name)
    _ensure(data)
    return data


def human_size(count: int) -> str:
    for unit, scale in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if count >= scale:
            value = count / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{count} B"


def _ensure(data: Dataset) -> None:
    marker = data.marker()
    if marker.exists() and json.loads(marker.read_text()) == data.describe():
        return
    note(f"generating {data.name} ({data.label}) in {data.path}")
    marker.unlink(missing_ok=True)
    staging = data.path.with_name(data.path.name + ".tmp")
    for stale in (staging, data.path):
        if stale.exists():
            shutil.rmtree(stale)
    _generate(data, staging)
    staging.rename(data.path)
    marker.write_text(json.dumps(data.describe(), indent=2) + "\n")


def _generate(data: Dataset, staging: Path) -> None:
    rng = random.Random(data.seed)
    final = str(data.path)
    for path in data.paths():
        file = Path(str(staging) + path.removeprefix(final))
        file.parent.mkdir(parents=True, exist_ok=True)
        with open(file, "wb") as out:
            for start in range(0, data.file_size, _CHUNK):
                out.write(rng.randbytes(min(_CHUNK, data.file_size - start)))
        os.utime(file, (FIXED_MTIME, FIXED_MTIME))
    os.sync()


def warm(paths: list[str]) -> int:
    """Read every file once so timings see the page cache; returns bytes read."""
    total = 0
    buffer = bytearray(_CHUNK)
    for path in paths:
        with open(path, "rb", buffering=0) as file:
            while count := file.readinto(buffer):
                total += count
    return total


def copy_tree(source: Path, dest: Path) -> None:
    """``cp -a`` (keeps the old mtimes); then a sync, so that write-back of
    the copy does not land inside a later timing."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(["cp", "-a", str(source), str(dest)], check=True)
    os.sync()


def list_files(root: Path) -> list[str]:
    """Every file under ``root`` (for warming a copy)."""
    return [os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names]
