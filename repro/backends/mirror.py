"""A writable mirror of a read-only project for a shell step in a
container: folders are made, files are symlinks to the originals. The
command reads through the links and writes its outs as new files; the
runner checks those out of the store into the real work tree."""

from __future__ import annotations

import os

__all__ = ["mirror_tree"]

# Never the step's to read or write; outs may not point into them either.
SKIPPED = frozenset({".git", ".repro"})


def mirror_tree(source: str, target: str) -> str:
    os.makedirs(target, exist_ok=True)
    for folder, dirs, files in os.walk(source):
        relative = os.path.relpath(folder, source)
        if relative == ".":
            dirs[:] = [d for d in dirs if d not in SKIPPED]
        here = os.path.normpath(os.path.join(target, relative))
        for name in dirs:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                # To the original link: a relative target resolves as there.
                os.symlink(path, os.path.join(here, name))
            else:
                os.makedirs(os.path.join(here, name), exist_ok=True)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            os.symlink(os.path.join(folder, name), os.path.join(here, name))
    return target
