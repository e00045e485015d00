"""Git runs the installed hooks, and the merge driver, as commands found on
PATH: the ``repro`` of the environment running the tests is put first.
Prepared repositories are built once per module and copied for each test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from githooks_testing import ROWS_A, ROWS_B, copy_repo, data_outside_git, install, run_ok
from pipeline_testing import commit_all
from repro_testing import git


def _repro_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.delenv("REPRO", raising=False)
    monkeypatch.delenv("REPRO_DEBUG", raising=False)


@pytest.fixture(autouse=True)
def repro_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    _repro_on_path(monkeypatch)


@pytest.fixture(scope="module")
def ran_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flow project (data out of Git) run, committed, hooks installed."""
    root = tmp_path_factory.mktemp("ran") / "repo"
    root.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        _repro_on_path(monkeypatch)
        git(root, "init", "-q", "-b", "main")
        data_outside_git(root)
        run_ok(root)
        install(root)
        commit_all(root, "run, hooks")
    return root


@pytest.fixture
def ran(ran_template: Path, tmp_path: Path) -> Path:
    return copy_repo(ran_template, tmp_path / "repo")


@pytest.fixture(scope="module")
def branches_template(ran_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """As ``ran``, plus branch ``b`` whose lock pins other data (ROWS_B);
    main checked out."""
    root = copy_repo(ran_template, tmp_path_factory.mktemp("branches") / "repo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _repro_on_path(monkeypatch)
        git(root, "checkout", "-q", "-b", "b")
        (root / "data/rows.csv").write_text(ROWS_B)
        run_ok(root)
        commit_all(root, "b: other data")
        git(root, "checkout", "-q", "main")
    (root / "data/rows.csv").write_text(ROWS_A)
    return root


@pytest.fixture
def branches(branches_template: Path, tmp_path: Path) -> Path:
    return copy_repo(branches_template, tmp_path / "repo")
