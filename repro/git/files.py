"""The files of a work tree that Git tracks, as they are in the work tree:
what ships to a cluster is what the commit holds (and its uncommitted
edits), never a stray file beside it."""

from __future__ import annotations

import os

from repro.git.command import open_workdir

__all__ = ["work_tree_files"]


def work_tree_files(root: str) -> list[str]:
    """Paths under ``root`` (relative to it, sorted) that Git tracks,
    deleted ones left out."""
    workdir = open_workdir(root)
    prefix = os.path.relpath(os.path.realpath(root), os.path.realpath(workdir.root))
    scope = [] if prefix == "." else ["--", prefix]
    out = workdir.check("ls-files", "-z", "--cached", *scope)
    found = []
    for raw in out.split(b"\0"):
        if not raw:
            continue
        path = os.fsdecode(raw)
        relative = path if prefix == "." else os.path.relpath(path, prefix)
        if os.path.isfile(os.path.join(root, relative)):
            found.append(relative)
    return sorted(set(found))
