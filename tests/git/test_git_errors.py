from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from repro.errors import ReproError
from repro.git import (
    DiffApplyError,
    GitCommandFailedError,
    GitError,
    GitNotInstalledError,
    NoCommitsError,
    NotInGitError,
    UnknownCommitError,
)

ERRORS = [
    NotInGitError("/work/x", "no such file or directory"),
    NoCommitsError("/work/x"),
    UnknownCommitError("/work/x", "abc123"),
    DiffApplyError("/tmp/wt", "error: patch failed: a.txt:1", commit="f" * 40),
    GitNotInstalledError("Bad git executable."),
    GitCommandFailedError(("status",), 128, "fatal: index file corrupt"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
def test_error_survives_pickling(error: GitError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.__dict__) == (type(error), str(error), error.__dict__)


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
def test_error_is_one_line_for_the_user(error: GitError) -> None:
    assert isinstance(error, ReproError)
    assert "\n" not in str(error)
    assert error.exit_code == 1


def test_diff_apply_error_without_commit_names_the_worktree() -> None:
    assert "to /tmp/wt (" in str(DiffApplyError("/tmp/wt", "error: corrupt patch"))


def test_corrupt_repository_is_a_repro_error(repo: Path) -> None:
    from repro.git import read_facts

    (repo / ".git" / "index").write_bytes(b"DIRC garbage")
    with pytest.raises(
        GitCommandFailedError, match=r"'git status' failed \(exit 128\): fatal: .*index"
    ):
        read_facts(str(repo))


def test_missing_git_executable(repo: Path, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from repro.git import GitNotInstalledError, read_facts\n"
        "try:\n"
        f"    read_facts({str(repo)!r})\n"
        "except GitNotInstalledError as err:\n"
        "    print(err)\n"
    )
    env = {**os.environ, "PATH": str(tmp_path)}
    env.pop("GIT_PYTHON_GIT_EXECUTABLE", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    assert "install Git and put it on PATH" in done.stdout
