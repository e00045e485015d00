"""Layer 7: the Git facts of a run (commit, branch, dirty state), the
uncommitted diff that lets a dirty run be replayed, and temporary
worktrees for replay.

GitPython is imported by the functions that run Git, never by
``import repro.git``: it costs 0.2 s that most commands do not need.
"""

from __future__ import annotations

from repro.git.diff import apply_diff, uncommitted_diff
from repro.git.errors import (
    DiffApplyError,
    GitCommandFailedError,
    GitError,
    GitNotInstalledError,
    NoCommitsError,
    NotInGitError,
    UnknownCommitError,
)
from repro.git.facts import IGNORED_FOR_DIRTY, GitFacts, commit_exists, read_facts
from repro.git.files import work_tree_files
from repro.git.worktree import temporary_worktree

__all__ = [
    "IGNORED_FOR_DIRTY",
    "DiffApplyError",
    "GitCommandFailedError",
    "GitError",
    "GitFacts",
    "GitNotInstalledError",
    "NoCommitsError",
    "NotInGitError",
    "UnknownCommitError",
    "apply_diff",
    "commit_exists",
    "read_facts",
    "temporary_worktree",
    "uncommitted_diff",
    "work_tree_files",
]
