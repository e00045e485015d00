"""The uncommitted diff of a work tree, as a binary patch that recreates
it from HEAD, and its application to another work tree."""

from __future__ import annotations

import os
import shutil
import tempfile

from repro.git.command import Workdir, first_error_line, open_workdir
from repro.git.errors import DiffApplyError
from repro.git.facts import head_commit, whole_tree_pathspecs

__all__ = ["apply_diff", "uncommitted_diff"]

# Plumbing ignores the user's diff settings (colour, prefixes, renames,
# external tools) anyway; the flags say so out loud, and --no-renames makes
# a move a deletion plus an addition that applies whatever the rename score.
_DIFF_FLAGS = (
    "--patch",
    "--binary",
    "--full-index",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


def uncommitted_diff(path: str) -> bytes:
    """A binary patch from HEAD to the work tree holding ``path``: staged,
    unstaged and untracked (non-ignored) changes, minus IGNORED_FOR_DIRTY.
    ``b""`` for a clean tree. The real index is never touched: the changes
    are staged into a temporary index (their blobs do enter the object
    database, as ``git add`` would write them)."""
    workdir = open_workdir(path)
    head = head_commit(workdir)
    with tempfile.TemporaryDirectory(prefix="repro-index-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        _read_head(workdir, head, env["GIT_INDEX_FILE"])
        workdir.check("add", "--all", "--", *whole_tree_pathspecs(), env=env)
        return workdir.check("diff-index", "--cached", *_DIFF_FLAGS, head, "--", env=env)


def apply_diff(worktree: str, diff: bytes) -> None:
    """Apply a patch made by ``uncommitted_diff`` to the work tree holding
    ``worktree``, all or nothing. Git refuses paths outside the work tree and
    paths beyond symbolic links, so a hostile patch cannot write elsewhere."""
    if not diff:
        return
    workdir = open_workdir(worktree)
    with tempfile.TemporaryDirectory(prefix="repro-diff-") as tmp:
        patch = os.path.join(tmp, "uncommitted.patch")
        with open(patch, "wb") as stream:
            stream.write(diff)
        # The user's apply.whitespace=error would reject a faithful patch.
        result = workdir.run("apply", "--binary", "--whitespace=nowarn", patch)
    if not result.ok:
        raise DiffApplyError(workdir.root, first_error_line(result.stderr))


def _read_head(workdir: Workdir, head: str, index: str) -> None:
    """Fill ``index`` with HEAD's tree. Seeded with a copy of the real index,
    ``read-tree --reset`` keeps the stat data of the entries that match HEAD,
    so ``git add`` re-hashes only the files that changed, not the whole tree."""
    real = os.path.join(workdir.repo.git_dir, "index")
    if os.path.isfile(real):
        # copy2 keeps the index's mtime, against which Git judges entries
        # "racily clean"; a newer copy would make Git trust stale stat data.
        shutil.copy2(real, index)
    workdir.check("read-tree", "--reset", head, env={"GIT_INDEX_FILE": index})
