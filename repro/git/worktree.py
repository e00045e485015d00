"""Temporary Git worktrees: a past commit (plus its recorded uncommitted
diff) checked out beside the user's work tree, which stays untouched."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from repro.git.command import Workdir, open_workdir
from repro.git.diff import apply_diff
from repro.git.errors import DiffApplyError, UnknownCommitError
from repro.git.facts import resolve_commit

__all__ = ["temporary_worktree"]


@contextmanager
def temporary_worktree(
    path: str,
    commit: str,
    *,
    diff: bytes | None = None,
    keep: bool = False,
    parent: str | None = None,
) -> Iterator[str]:
    """Check ``commit`` of the repository holding ``path`` out, detached, in a
    new folder under ``parent`` (default: the system temp folder), apply
    ``diff`` when given, and yield the folder. On exit the worktree is
    removed unless ``keep`` (a worktree whose diff does not apply is removed
    regardless); the main work tree, its HEAD, index and branches are never
    changed."""
    workdir = open_workdir(path)
    full = resolve_commit(workdir, commit)
    if full is None:
        raise UnknownCommitError(workdir.root, commit)
    # realpath: Git records the path it is given, and callers compare paths.
    tree = os.path.realpath(tempfile.mkdtemp(prefix=f"repro-replay-{full[:12]}-", dir=parent))
    try:
        _populate(workdir, tree, full, diff)
    except BaseException:
        _remove(workdir, tree)
        raise
    try:
        yield tree
    finally:
        if not keep:
            _remove(workdir, tree)


def _populate(workdir: Workdir, tree: str, commit: str, diff: bytes | None) -> None:
    workdir.check("worktree", "add", "--detach", tree, commit)
    if diff:
        try:
            apply_diff(tree, diff)
        except DiffApplyError as err:
            raise DiffApplyError(tree, err.reason, commit=commit) from err


def _remove(workdir: Workdir, tree: str) -> None:
    # --force: a replay leaves untracked outputs and the applied diff behind.
    removed = workdir.run("worktree", "remove", "--force", tree).ok
    if not removed:
        # Half-made, or already deleted by the body: clear the folder, then
        # let Git drop its record of a worktree whose folder is gone.
        shutil.rmtree(tree, ignore_errors=True)
        workdir.run("worktree", "prune")
