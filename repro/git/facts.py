"""What a run records about Git: the work tree root, HEAD's commit, the
branch and whether anything is uncommitted."""

from __future__ import annotations

from dataclasses import dataclass

from repro.git.command import Workdir, open_workdir
from repro.git.errors import NoCommitsError

__all__ = [
    "IGNORED_FOR_DIRTY",
    "GitFacts",
    "commit_exists",
    "head_commit",
    "read_facts",
    "resolve_commit",
    "whole_tree_pathspecs",
]

# The lock is rewritten by every run, so a run right after another must
# still count as clean: these names, at any depth, never make a tree dirty
# and never enter the uncommitted diff.
IGNORED_FOR_DIRTY: tuple[str, ...] = ("repro.lock",)


@dataclass(frozen=True)
class GitFacts:
    root: str
    commit: str
    branch: str | None
    dirty: bool


def read_facts(path: str) -> GitFacts:
    """The Git facts of the work tree holding ``path``, from one ``git status``."""
    workdir = open_workdir(path)
    out = workdir.check(
        # A read must not rewrite the index (and race a user's git command for its lock).
        "--no-optional-locks",
        "status",
        "--porcelain=v2",
        "--branch",
        "-z",
        "--untracked-files=all",
        "--",
        *whole_tree_pathspecs(),
    )
    return _parse_status(workdir.root, out)


def commit_exists(path: str, commit: str) -> bool:
    """Whether ``commit`` (a full or abbreviated id, or any revision) names a
    commit present in the repository holding ``path``."""
    return resolve_commit(open_workdir(path), commit) is not None


def resolve_commit(workdir: Workdir, commit: str) -> str | None:
    """The full id of the commit ``commit`` names, or None."""
    if not commit or commit.startswith("-"):  # never let a revision pass as an option
        return None
    result = workdir.run("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    return result.stdout.decode().strip() if result.ok else None


def head_commit(workdir: Workdir) -> str:
    """HEAD's full commit id; raises NoCommitsError before the first commit."""
    commit = resolve_commit(workdir, "HEAD")
    if commit is None:
        raise NoCommitsError(workdir.root)
    return commit


def whole_tree_pathspecs() -> tuple[str, ...]:
    """Pathspecs for the whole work tree minus IGNORED_FOR_DIRTY at any depth."""
    excluded = (f":(top,exclude,glob)**/{_glob_escape(name)}" for name in IGNORED_FOR_DIRTY)
    return (":(top)", *excluded)


def _glob_escape(name: str) -> str:
    return "".join(f"\\{char}" if char in "*?[\\" else char for char in name)


def _parse_status(root: str, out: bytes) -> GitFacts:
    # Porcelain v2 puts "# branch.*" headers first, then one record per change.
    headers: dict[str, str] = {}
    records = [record for record in out.split(b"\0") if record]
    for record in records:
        if not record.startswith(b"# "):
            break
        key, _, value = record[2:].decode("utf-8", "replace").partition(" ")
        headers[key] = value
    commit = headers.get("branch.oid", "(initial)")
    if commit == "(initial)":
        raise NoCommitsError(root)
    branch = headers.get("branch.head")
    dirty = len(records) > len(headers)
    return GitFacts(root, commit, None if branch in (None, "(detached)") else branch, dirty)
