"""Scratch Git repositories and repro projects for the CLI benchmarks."""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.common import GIT_IDENTITY, GIT_QUIET, Context, fresh_dir, run_command

__all__ = ["git", "git_commit_all", "new_git_repo", "new_repro_project", "reset_repro_state"]


def git(repo: Path, *args: str) -> str:
    return run_command(["git", *GIT_QUIET, *GIT_IDENTITY, *args], cwd=repo)


def new_git_repo(path: Path) -> Path:
    """An empty Git repository at ``path`` (whatever was there is removed)."""
    fresh_dir(path)
    git(path, "init", "-q")
    return path


def new_repro_project(ctx: Context, path: Path) -> Path:
    """A fresh Git repository with ``repro init`` done in it."""
    new_git_repo(path)
    run_command([ctx.repro, "init"], cwd=path)
    return path


def reset_repro_state(project: Path) -> None:
    """Forget the stat cache (``.repro/tmp``) and the local cache, as in a
    fresh project; the committed config stays."""
    for name in ("tmp", "cache"):
        shutil.rmtree(project / ".repro" / name, ignore_errors=True)


def git_commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
