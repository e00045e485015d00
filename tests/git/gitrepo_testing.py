"""Helpers for the repro.git tests: committed repositories and a byte-exact
picture of a work tree (contents, executable bits, symbolic links)."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path

from repro_testing import git, write_files

# A committed tree with text, binary, executable and nested files and the lock.
BASE: dict[str, bytes] = {
    ".gitignore": b"*.log\nbuild/\n",
    "text.txt": b"one\ntwo\nthree\n",
    "no-newline.txt": b"no newline at the end",
    "data.bin": bytes(range(256)) * 8,
    "run.sh": b"#!/bin/sh\necho hi\n",
    "sub/deep/file.txt": b"deep\n",
    "old-name.txt": b"a file that will move\n" * 5,
    "repro.lock": b"lock: 1\n",
}
EXECUTABLE = ("run.sh",)

# (kind, bytes or link target, executable)
Entry = tuple[str, bytes, bool]


def commit_files(repo: Path, files: Mapping[str, bytes], executable: Collection[str] = ()) -> str:
    """Write ``files``, mark ``executable`` ones +x, commit all; return the commit."""
    write_files(repo, dict(files))
    for name in executable:
        (repo / name).chmod(0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "commit")
    return git(repo, "rev-parse", "HEAD").strip()


def tree_state(root: Path | str, exclude: Collection[str] = ()) -> dict[str, Entry]:
    """Every file and symbolic link under ``root`` except Git's own ``.git``
    and files whose name is in ``exclude``; folders count only by their files,
    as in Git."""
    root = str(root)
    state: dict[str, Entry] = {}
    for folder, dirnames, filenames in os.walk(root):
        if folder == root:
            dirnames[:] = [name for name in dirnames if name != ".git"]
            filenames = [name for name in filenames if name != ".git"]
        for name in [*dirnames, *filenames]:
            full = os.path.join(folder, name)
            if name not in exclude and (os.path.islink(full) or os.path.isfile(full)):
                state[os.path.relpath(full, root)] = _entry(full)
    return state


def _entry(full: str) -> Entry:
    if os.path.islink(full):
        return ("link", os.fsencode(os.readlink(full)), False)
    with open(full, "rb") as stream:
        return ("file", stream.read(), bool(os.stat(full).st_mode & 0o100))


def index_bytes(repo: Path) -> bytes:
    return (repo / ".git" / "index").read_bytes()


def repo_state(repo: Path) -> tuple[str, str, str, bytes]:
    """What must not change when repro reads or replays: HEAD, the branches,
    ``git status`` and the index file itself."""
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "for-each-ref"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        index_bytes(repo),
    )
