"""Projects for the Git hook tests: the flow project with its data kept out
of Git (so that only the hooks put it in place), a second pipeline, a
folder remote; and Git commands whose failure is the point."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pipeline_testing import OTHER, cli, commit_all, make_flow_project
from repro_testing import GIT_ENV

ROWS_A = "value\n1\n2\n3\n4\n"
ROWS_B = "value\n10\n20\n"


def git_try(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``git ARGS`` that may fail: the result, not an exception."""
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def data_outside_git(root: Path) -> Path:
    """The flow project, committed with data/ ignored by Git."""
    make_flow_project(root, commit=False)
    (root / ".gitignore").write_text("/data/\n")
    commit_all(root, "flow project, data not in Git")
    return root


def use_remote(root: Path, table: str, name: str = "origin") -> None:
    """Make the remote ``[remote.NAME]`` ``table`` the default, on this
    machine only (config.local.toml is not committed)."""
    body = f'[core]\nremote = "{name}"\n\n[remote.{name}]\n{table}'
    (root / ".repro/config.local.toml").write_text(body)


def copy_repo(template: Path, dest: Path) -> Path:
    """A copy of a prepared repository (built once per test module)."""
    shutil.copytree(template, dest, symlinks=True)
    return dest


def add_other_pipeline(root: Path) -> None:
    (root / "other.py").write_text(OTHER)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'other = "other.py:other"\n')


def run_ok(root: Path, *args: str) -> str:
    """``repro run ARGS``; the run id (of the last pipeline run)."""
    result = cli(root, "run", "--json", *args)
    assert result.code == 0, result
    doc = result.json()
    run: str = (doc[-1] if isinstance(doc, list) else doc)["run"]
    return run


def install(root: Path) -> str:
    result = cli(root, "install-hooks")
    assert result.code == 0, result
    return result.out
