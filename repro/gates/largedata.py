"""``repro check large-data`` (the ``repro-large-data`` hook): a staged file
over the size limit that is data belongs in the object store (a snapshot,
or a ``Dataset`` a pipeline reads), not in Git.

The limit is 1 MiB unless ``[tool.repro.gates] large_file`` in the
project's pyproject.toml (or ``--max-size``) says otherwise: a number of
bytes, or a size such as ``"5MiB"`` (K, M, G and KiB, MiB, GiB count in
1024s, like Git's own sizes; KB, MB, GB in 1000s).

The size is the staged one (the blob in Git's index: a Git LFS pointer is
small however large the file beside it), else the file's own. A file over
the limit is data when its extension is a data format's (CSV, Parquet,
NumPy, HDF5, pickles, model weights, archives, images, audio, video …),
never when it is source or configuration (Python, notebooks, Markdown,
TOML, YAML, lock files …: big ones are Git's business), and otherwise when
it is binary: a NUL byte in its first 8000 bytes, the test Git uses.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Sequence

from repro.errors import UsageError
from repro.gates.result import Finding, GateResult
from repro.gates.scope import place_for, shown
from repro.project import Project, git_root

__all__ = [
    "DATA_EXTENSIONS",
    "DEFAULT_LIMIT",
    "LARGE_DATA",
    "SOURCE_EXTENSIONS",
    "InvalidSizeError",
    "check_large_data",
    "configured_limit",
    "format_size",
    "is_data_file",
    "parse_size",
    "staged_files",
]

LARGE_DATA = "large-data"
DEFAULT_LIMIT = 1 << 20
SNIFF_BYTES = 8000  # what Git reads to tell binary from text


def _extensions(text: str) -> frozenset[str]:
    return frozenset(text.split())


DATA_EXTENSIONS = _extensions(
    # tables, arrays and databases
    ".csv .tsv .psv .parquet .pq .feather .arrow .ipc .orc .avro .xls .xlsx .ods .dta .sav "
    ".sas7bdat .json .jsonl .ndjson .xml .arff .libsvm .txt .log .npy .npz .h5 .hdf5 .hdf .nc "
    ".mat .zarr .tfrecord .db .sqlite .sqlite3 .duckdb .dat "
    # models and pickles
    ".pkl .pickle .joblib .pt .pth .ckpt .safetensors .onnx .pb .tflite .bin .gguf .model "
    ".weights .skops "
    # archives
    ".zip .tar .gz .tgz .bz2 .xz .zst .7z .rar "
    # images, audio, video
    ".png .jpg .jpeg .gif .bmp .tif .tiff .webp .wav .mp3 .flac .ogg .mp4 .avi .mov .mkv"
)
SOURCE_EXTENSIONS = _extensions(
    ".py .pyi .pyx .pxd .ipynb .md .rst .adoc .toml .yaml .yml .cfg .ini .lock .in .sh .bash "
    ".c .h .cc .cpp .hpp .rs .go .java .kt .scala .js .mjs .ts .tsx .jsx .css .scss .html "
    ".sql .r .jl .rb .pl .php .lua .tex .bib .svg .proto .graphql"
)
# Lock files that carry a data format's extension.
_SOURCE_NAMES = frozenset({"package-lock.json", "npm-shrinkwrap.json", "composer.json"})
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)", re.IGNORECASE)


class InvalidSizeError(UsageError, ValueError):
    def __init__(self, where: str, value: object) -> None:
        self.where = where
        self.value = value
        super().__init__(
            f"{where}: {value!r} is not a size: give a number of bytes or a size such as "
            '"5MiB" (K, M, G, KiB, MiB, GiB count in 1024s; KB, MB, GB in 1000s)'
        )


def parse_size(value: object, where: str = "--max-size") -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InvalidSizeError(where, value)
    number, prefix, suffix = match.groups()
    if prefix == "" and suffix.lower() not in ("", "b"):
        raise InvalidSizeError(where, value)
    base = 1000 if suffix.lower() == "b" and prefix else 1024
    size = int(float(number) * base ** " kmgt".index(prefix.lower() or " "))
    if size <= 0:
        raise InvalidSizeError(where, value)
    return size


def configured_limit(project: Project) -> int:
    from repro.pyproject import tool_repro_table

    gates = tool_repro_table(project.root).get("gates", {})
    where = f"{os.path.join(project.root, 'pyproject.toml')}: [tool.repro.gates]"
    if not isinstance(gates, dict):
        raise UsageError(f"{where} must be a table")
    value = gates.get("large_file")
    return DEFAULT_LIMIT if value is None else parse_size(value, f"{where} large_file")


def format_size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # unreachable: GiB ends the loop


def is_data_file(path: str) -> bool:
    """True when ``path`` (an existing file) holds data rather than source."""
    name = os.path.basename(path).lower()
    extension = os.path.splitext(name)[1]
    if name in _SOURCE_NAMES or extension in SOURCE_EXTENSIONS:
        return False
    if extension in DATA_EXTENSIONS:
        return True
    with open(path, "rb") as file:
        return b"\0" in file.read(SNIFF_BYTES)


def check_large_data(
    project: Project,
    files: Sequence[str],
    *,
    cwd: str | None = None,
    max_size: int | None = None,
) -> GateResult:
    """``files`` (absolute, or relative to ``cwd``) that are staged data over the limit."""
    cwd = cwd or os.getcwd()
    limit = max_size or configured_limit(project)
    paths = [os.path.normpath(os.path.join(cwd, file)) for file in files]
    sizes = _sizes([path for path in paths if os.path.isfile(path)])
    findings = [
        _finding(project, cwd, path, size, limit)
        for path, size in sizes.items()
        if size > limit and is_data_file(path)
    ]
    return GateResult(LARGE_DATA, tuple(findings))


def _finding(project: Project, cwd: str, path: str, size: int, limit: int) -> Finding:
    here = shlex.quote(shown(path, cwd))
    folder, name = os.path.split(path)
    ignore = shlex.quote(shown(os.path.join(folder, ".gitignore"), cwd))
    place = place_for(project, cwd)
    dataset = os.path.relpath(path, project.root)
    fix = (
        f"run `git rm -q --cached -- {here} && echo {shlex.quote('/' + name)} >> {ignore} && "
        f"{place.command(f'repro snapshot {place.path(path)}')}`, and read it in a step "
        f'through Dataset("{dataset}")'
    )
    problem = f"a data file of {format_size(size)} is staged (the limit is {format_size(limit)})"
    return Finding(LARGE_DATA, shown(path, cwd), problem, fix)


def _sizes(paths: list[str]) -> dict[str, int]:
    """Each path's staged size (its blob in the index), else its size on disk."""
    staged = _staged_sizes(paths)
    return {path: staged.get(path, os.path.getsize(path)) for path in paths}


def _staged_sizes(paths: list[str]) -> dict[str, int]:
    top = git_root(paths[0]) if paths else None
    if top is None:
        return {}
    names = [os.path.relpath(path, top) for path in paths]
    done = subprocess.run(
        ["git", "cat-file", "--batch-check=%(objectsize)"],
        cwd=top,
        input="".join(f":{name}\n" for name in names),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) != len(paths):
        return {}
    return {path: int(line) for path, line in zip(paths, lines, strict=True) if line.isdigit()}


def staged_files(cwd: str) -> list[str]:
    """The files added, copied, modified or renamed in Git's index, relative
    to ``cwd`` (none outside a Git work tree)."""
    top = git_root(cwd)
    if top is None:
        return []
    done = subprocess.run(
        ["git", "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
    )
    names = [name for name in done.stdout.split("\0") if name]
    return [os.path.relpath(os.path.join(top, name), cwd) for name in names]
