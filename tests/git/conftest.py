"""A committed repository with text, binary, executable and nested files."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo_testing import BASE, EXECUTABLE, commit_files
from repro_testing import git


@pytest.fixture
def repo(git_repo: Path) -> Path:
    commit_files(git_repo, BASE, EXECUTABLE)
    return git_repo


@pytest.fixture
def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()
