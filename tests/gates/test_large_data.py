from __future__ import annotations

from pathlib import Path

import pytest
from repro_testing import git

from repro.gates.largedata import (
    DEFAULT_LIMIT,
    InvalidSizeError,
    check_large_data,
    configured_limit,
    is_data_file,
    parse_size,
)
from repro.project import Project, init_project

MIB = 1 << 20


def _stage(root: Path, name: str, data: bytes) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    git(root, "add", name)
    return name


def _lines(project: Project, files: list[str], cwd: Path, **options: int) -> list[str]:
    result = check_large_data(project, files, cwd=str(cwd), **options)
    return [finding.line for finding in result.findings]


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        (2048, 2048),
        ("5MiB", 5 * MIB),
        ("5 mib", 5 * MIB),
        ("5M", 5 * MIB),
        ("1.5KiB", 1536),
        ("5MB", 5_000_000),
        ("2GB", 2_000_000_000),
        ("10B", 10),
    ],
)
def test_sizes_are_bytes_or_units(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "5 parsecs", "5i", "-1", 0, True, "0MiB", 1.5])
def test_a_size_that_is_none_is_refused(text: object) -> None:
    with pytest.raises(InvalidSizeError, match=r"--max-size: .* is not a size: give a number"):
        parse_size(text)


def test_the_limit_is_one_mib_unless_configured(project: Project) -> None:
    assert configured_limit(project) == DEFAULT_LIMIT == MIB


def test_the_limit_is_read_from_pyproject(project: Project) -> None:
    Path(project.root, "pyproject.toml").write_text('[tool.repro.gates]\nlarge_file = "5MiB"\n')
    assert configured_limit(project) == 5 * MIB


def test_a_bad_configured_limit_names_the_setting(project: Project) -> None:
    Path(project.root, "pyproject.toml").write_text('[tool.repro.gates]\nlarge_file = "big"\n')
    with pytest.raises(InvalidSizeError, match=r"\[tool.repro.gates\] large_file: 'big'"):
        configured_limit(project)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("rows.csv", b"a,b\n", True),
        ("model.pt", b"text", True),
        ("pipeline.py", b"\0binary", False),
        ("uv.lock", b"\0", False),
        ("package-lock.json", b"{}", False),
        ("blob", b"abc\0def", True),
        ("NOTICE", b"plain text", False),
    ],
)
def test_data_is_told_by_extension_then_by_a_nul_byte(
    tmp_path: Path, name: str, data: bytes, expected: bool
) -> None:
    (tmp_path / name).write_bytes(data)
    assert is_data_file(str(tmp_path / name)) is expected


def test_a_big_staged_csv_fails_with_the_commands_to_track_it(project: Project) -> None:
    root = Path(project.root)
    name = _stage(root, "data/big.csv", b"a,b\n" * (MIB // 2))
    assert _lines(project, [name], root) == [
        "data/big.csv: a data file of 2.0 MiB is staged (the limit is 1.0 MiB): run "
        "`git rm -q --cached -- data/big.csv && echo /big.csv >> data/.gitignore && "
        'repro snapshot data/big.csv`, and read it in a step through Dataset("data/big.csv")'
    ]


def test_a_file_under_the_limit_passes(project: Project) -> None:
    name = _stage(Path(project.root), "small.csv", b"a,b\n" * 10)
    assert _lines(project, [name], Path(project.root)) == []


def test_big_source_passes(project: Project) -> None:
    name = _stage(Path(project.root), "generated.py", b"x = 1\n" * MIB)
    assert _lines(project, [name], Path(project.root)) == []


def test_max_size_overrides_the_configured_limit(project: Project) -> None:
    root = Path(project.root)
    (root / "pyproject.toml").write_text('[tool.repro.gates]\nlarge_file = "1KiB"\n')
    name = _stage(root, "rows.csv", b"a,b\n" * 1000)
    assert len(_lines(project, [name], root)) == 1
    assert _lines(project, [name], root, max_size=MIB) == []


def test_the_staged_size_counts_not_the_file_beside_it(project: Project) -> None:
    """A Git LFS pointer is small in the index however large the file is."""
    root = Path(project.root)
    name = _stage(root, "weights.bin", b"version https://git-lfs.github.com/spec/v1\n")
    (root / name).write_bytes(b"\0" * (2 * MIB))
    assert _lines(project, [name], root) == []


def test_a_file_outside_git_counts_by_its_own_size(tmp_path: Path) -> None:
    project = init_project(str(tmp_path), no_scm=True).project
    (tmp_path / "big.parquet").write_bytes(b"\0" * (2 * MIB))
    assert len(_lines(project, ["big.parquet"], tmp_path)) == 1


def test_from_outside_the_project_the_snapshot_runs_in_it(git_repo: Path) -> None:
    project = init_project(str(git_repo / "sub")).project
    name = _stage(git_repo, "sub/data/big.csv", b"a,b\n" * MIB)
    [line] = _lines(project, [name], git_repo)
    assert (
        "`git rm -q --cached -- sub/data/big.csv && echo /big.csv >> sub/data/.gitignore && "
        "cd sub && repro snapshot data/big.csv`" in line
    )
