"""The one place that talks to GitPython: opening a repository and running
a Git command, with every ``git.exc`` error translated into a repro error.

GitPython costs 0.2 s to import, so it is imported inside functions only;
``import repro.git`` stays free for commands that never touch Git.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from repro.git.errors import GitCommandFailedError, GitNotInstalledError, NotInGitError

if TYPE_CHECKING:
    from git import Repo

__all__ = ["GitResult", "Workdir", "first_error_line", "open_workdir"]


@dataclass(frozen=True)
class GitResult:
    status: int
    stdout: bytes
    stderr: str

    @property
    def ok(self) -> bool:
        return self.status == 0


def first_error_line(stderr: str) -> str:
    """The line of Git's stderr that names the problem: the first that says
    ``error:`` or ``fatal:``, else the first non-empty one."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("error:", "fatal:")):
            return line
    return lines[0] if lines else "no error message"


@dataclass(frozen=True)
class Workdir:
    """A Git work tree: its absolute root and the GitPython handle on it."""

    root: str
    repo: Repo

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> GitResult:
        """Run ``git <args>`` at the root; a non-zero exit is returned, not raised,
        because several callers expect one (``rev-parse --verify``, ``apply``)."""
        from git.exc import GitCommandNotFound

        command = [str(self.repo.git.GIT_PYTHON_GIT_EXECUTABLE or "git"), *args]
        try:
            status, stdout, stderr = self.repo.git.execute(
                command,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                # The default strips the last newline: a patch would lose its end.
                strip_newline_in_stdout=False,
                env=env,
            )
        except GitCommandNotFound as err:
            raise GitNotInstalledError(str(err.status or "git not found")) from err
        return GitResult(status, stdout, stderr)

    def check(self, *args: str, env: Mapping[str, str] | None = None) -> bytes:
        """Run ``git <args>`` and return its stdout; any failure is an error."""
        result = self.run(*args, env=env)
        if not result.ok:
            raise GitCommandFailedError(args, result.status, first_error_line(result.stderr))
        return result.stdout


def open_workdir(path: str) -> Workdir:
    """The Git work tree holding ``path`` (a file or folder; parents are searched)."""
    try:
        from git import Repo
        from git.exc import InvalidGitRepositoryError, NoSuchPathError
    except ImportError as err:  # GitPython raises it when no git executable works
        raise GitNotInstalledError(str(err).strip().splitlines()[0]) from err
    start = os.path.dirname(path) if os.path.isfile(path) else path
    try:
        repo = Repo(start, search_parent_directories=True)
    except NoSuchPathError as err:
        raise NotInGitError(path, "no such file or directory") from err
    except InvalidGitRepositoryError as err:
        raise NotInGitError(path) from err
    if repo.working_tree_dir is None:
        raise NotInGitError(path, "a bare repository has no work tree")
    return Workdir(os.path.abspath(repo.working_tree_dir), repo)
