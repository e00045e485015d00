"""A project as CI meets it: a developer's repository that ran the flow,
pushed its runs to a folder remote and committed the lock, and fresh clones
of it elsewhere. Also the ``repro …`` lines of CI files and READMEs, run
for real."""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest
from pipeline_testing import Result, cli, commit_all, make_flow_project
from repro_testing import git

__all__ = ["clone", "copy_dev", "dev_project", "repro_lines", "run_lines"]


def dev_project(folder: Path, files: dict[str, str] | None = None) -> Path:
    """``folder/repo``: the flow project (plus ``files``) in a Git work
    tree, its data kept out of Git, with the folder remote ``folder/store``
    as its default (named by a relative path, so that a copy of ``folder``
    or a clone beside ``repo`` finds its own): run, pushed and committed."""
    root = folder / "repo"
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root, commit=False)
    (root / ".gitignore").write_text("/data/\n")
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    assert cli(root, "remote", "add", "--default", "origin", "../store").code == 0
    commit_all(root, "flow project, data not in Git")
    for args in (("run",), ("push",)):
        result = cli(root, *args)
        assert result.code == 0, result
    commit_all(root, "lock")
    return root


def copy_dev(template: Path, folder: Path) -> Path:
    """A copy of a ``dev_project`` folder (repository and remote), cheaper
    than making one; returns the copy's repository."""
    shutil.copytree(template, folder, symlinks=True)
    return folder / "repo"


def clone(source: Path, dest: Path) -> Path:
    """A fresh clone: no .repro/ cache, no data, another path."""
    git(source.parent, "clone", "-q", str(source), str(dest))
    return dest


_COMMAND = re.compile(r"^\s*(?:-\s+)?(repro\s.*?)\s*(?:#.*)?$")


def repro_lines(script: str | Iterable[str]) -> list[str]:
    """The ``repro …`` command lines of a shell script (or of its lines), in
    order, without trailing comments."""
    lines = script.splitlines() if isinstance(script, str) else list(script)
    found = (_COMMAND.match(line) for line in lines)
    return [match.group(1) for match in found if match]


def run_lines(cwd: Path, lines: Iterable[str], env: dict[str, str] | None = None) -> list[Result]:
    """Run each ``repro …`` line in ``cwd`` with the real command, in order;
    stop at the first that fails."""
    results = []
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "repro", line
        results.append(cli(cwd, *words[1:], env=env))
        if results[-1].code != 0:
            break
    return results


@pytest.fixture(scope="module")
def dev_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dev")
    dev_project(folder)
    return folder


@pytest.fixture
def dev(dev_template: Path, tmp_path: Path) -> Path:
    """A developer's repository that ran, pushed and committed the flow."""
    return copy_dev(dev_template, tmp_path / "dev")
