"""Fixtures shared by every test folder: real Git repositories in temp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest
from repro_testing import git

from repro.project import Project, init_project


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


@pytest.fixture
def project(git_repo: Path) -> Project:
    return init_project(str(git_repo)).project
