"""Errors a user causes by running repro outside Git, before the first
commit, or by replaying a run whose commit or diff is not at hand."""

from __future__ import annotations

from repro.errors import ReproError

__all__ = [
    "DiffApplyError",
    "GitCommandFailedError",
    "GitError",
    "GitNotInstalledError",
    "NoCommitsError",
    "NotInGitError",
    "UnknownCommitError",
]


class GitError(ReproError):
    """The root of the errors raised by ``repro.git``."""


class NotInGitError(GitError):
    def __init__(self, path: str, reason: str = "") -> None:
        self.path = path
        self.reason = reason
        detail = f" ({reason})" if reason else ""
        super().__init__(f"{path} is not inside a Git repository{detail}; run 'git init'")


class NoCommitsError(GitError):
    def __init__(self, root: str) -> None:
        self.root = root
        super().__init__(
            f"the Git repository at {root} has no commit yet; "
            "commit something first (git add … && git commit)"
        )


class UnknownCommitError(GitError, LookupError):
    def __init__(self, root: str, commit: str) -> None:
        self.root = root
        self.commit = commit
        super().__init__(
            f"commit {commit!r} is not in the Git repository at {root}; "
            "run 'git fetch' (or 'git fetch --unshallow' in a shallow clone) and try again"
        )


class DiffApplyError(GitError):
    def __init__(self, worktree: str, reason: str, commit: str | None = None) -> None:
        self.worktree = worktree
        self.reason = reason
        self.commit = commit
        target = f"commit {commit[:12]}" if commit else worktree
        super().__init__(
            f"the recorded uncommitted diff does not apply to {target} ({reason}); "
            "check that the run record's commit and diff object belong together"
        )


class GitNotInstalledError(GitError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"cannot run Git ({reason}); install Git and put it on PATH "
            "(or set GIT_PYTHON_GIT_EXECUTABLE)"
        )


class GitCommandFailedError(GitError):
    """A Git command failed in a way repro does not expect; ``detail`` is
    Git's first error line, which usually names the cause."""

    def __init__(self, command: tuple[str, ...], status: int, detail: str) -> None:
        self.command = command
        self.status = status
        self.detail = detail
        verb = next((arg for arg in command if not arg.startswith("-")), "")
        super().__init__(
            f"'git {verb}' failed (exit {status}): {detail}; "
            "fix the repository (try 'git status') and retry"
        )
