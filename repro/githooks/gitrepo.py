"""The few Git facts the hooks and ``repro install-hooks`` need: where Git
looks for hooks, the local config, a file as a commit holds it, and
whether a rebase is under way. Git runs through ``repro.git.command``."""

from __future__ import annotations

import os
from collections.abc import Mapping

from repro.git.command import Workdir, open_workdir

__all__ = [
    "config_get",
    "config_set",
    "config_unset",
    "config_unset_section",
    "file_at",
    "hooks_dir",
    "rebasing",
    "workdir",
]


def workdir(path: str) -> Workdir:
    """The Git work tree holding ``path`` (raises ``NotInGitError``)."""
    return open_workdir(path)


def hooks_dir(tree: Workdir) -> str:
    """The folder Git runs hooks from: ``core.hooksPath`` if set (a relative
    one is taken from the work tree's top, as Git does), else ``.git/hooks``."""
    out = tree.check("rev-parse", "--git-path", "hooks").decode().strip()
    return os.path.normpath(os.path.join(tree.root, out))


def config_get(tree: Workdir, key: str) -> str | None:
    result = tree.run("config", "--local", "--get", key)
    return result.stdout.decode().strip() if result.ok else None


def config_set(tree: Workdir, key: str, value: str) -> bool:
    """Set ``key`` in the repository's own config; False if it already was."""
    if config_get(tree, key) == value:
        return False
    tree.check("config", "--local", key, value)
    return True


def config_unset(tree: Workdir, key: str) -> bool:
    if config_get(tree, key) is None:
        return False
    tree.check("config", "--local", "--unset-all", key)
    return True


def config_unset_section(tree: Workdir, section: str, probe: str) -> bool:
    """Remove ``section`` if its key ``probe`` is set; False if it was not."""
    if config_get(tree, f"{section}.{probe}") is None:
        return False
    tree.check("config", "--local", "--remove-section", section)
    return True


def file_at(tree: Workdir, commit: str, path: str) -> str | None:
    """The text of ``path`` (relative to the top) in ``commit``, or None
    when the commit has no such file."""
    result = tree.run("show", f"{commit}:{path}")
    return result.stdout.decode("utf-8", errors="replace") if result.ok else None


def rebasing(tree: Workdir, environ: Mapping[str, str]) -> bool:
    """A rebase is under way: Git checks out and merges commit after commit,
    and the hooks must not rewrite data files in between."""
    if "rebase" in environ.get("GIT_REFLOG_ACTION", ""):
        return True
    for state in ("rebase-merge", "rebase-apply"):
        out = tree.check("rev-parse", "--git-path", state).decode().strip()
        if os.path.isdir(os.path.join(tree.root, out)):
            return True
    return False
