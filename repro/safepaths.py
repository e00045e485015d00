"""The one rule for paths and names that come from records, locks, trees
and remotes: whoever can write those (a pull request, a shared remote) must
never make repro write outside the place it was asked to write, nor into
``.git`` (hooks Git runs) or ``.repro`` (config, the store).

A path from a record is checked before any filesystem call: relative, no
``..`` part, not the folder itself, no part named ``.git`` or ``.repro``, no
control character (a name could fake lines of output). ``a/./b/`` is
harmless and admitted (datasets are recorded as the user spelled them);
trees add their own canonical form on top.
Where it is written, :func:`inside` also refuses a destination reached
through a symlink leading out of the folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from repro.errors import ReproError

__all__ = [
    "PROTECTED_PARTS",
    "UnsafePathError",
    "check_name",
    "check_relative",
    "check_text",
    "check_uri",
    "inside",
]

# Never written from a record: Git runs hooks from .git, and .repro holds the
# config (which names the cache) and the store itself.
PROTECTED_PARTS = frozenset({".git", ".repro"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NUL = "\x00"


class UnsafePathError(ReproError, ValueError):
    """A path or name from a record that could reach outside its place."""

    def __init__(self, what: str, path: str, reason: str) -> None:
        self.what = what
        self.path = path
        self.reason = reason
        super().__init__(f"{what} {path!r} is refused: {reason}")


def check_relative(path: str, what: str = "path", *, control: bool = False) -> str:
    """``path`` itself, if it is a relative POSIX path that stays in its
    folder and outside ``.git`` and ``.repro``. ``control`` admits control characters other than
    NUL, for the names of a snapshot's files (any name a file system allows;
    they are printed escaped)."""
    if not isinstance(path, str) or not path:
        raise UnsafePathError(what, str(path), "it is empty")
    if _NUL in path or (not control and _CONTROL.search(path)):
        raise UnsafePathError(what, path, "it holds a control character")
    if path.startswith("/"):
        raise UnsafePathError(what, path, "it is absolute")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts:
        raise UnsafePathError(what, path, "it names the folder itself")
    for part in parts:
        if part == "..":
            raise UnsafePathError(what, path, "it leads out of its folder")
        if part in PROTECTED_PARTS:
            raise UnsafePathError(what, path, f"nothing is ever written in {part}")
    return path


def check_name(name: str, what: str = "name") -> str:
    """``name`` itself, if it can stand as one part of a path (a step's
    folder in a checkout)."""
    if isinstance(name, str) and "/" in name:
        raise UnsafePathError(what, name, "it holds a '/'")
    return check_relative(name, what)


def check_text(text: str, what: str = "name") -> str:
    """``text`` itself, if it holds no control character: a name printed
    on a line of its own must not be able to fake other lines."""
    if not isinstance(text, str) or not text or _CONTROL.search(text):
        raise UnsafePathError(what, str(text), "it is empty or holds a control character")
    return text


def check_uri(uri: str, what: str = "dataset") -> str:
    """A dataset's uri: a URL (``scheme://…``, read, never written to by a
    restore) or a project path, checked as one."""
    if not isinstance(uri, str) or _CONTROL.search(uri):
        raise UnsafePathError(what, str(uri), "it holds a control character")
    if "://" in uri and not uri.startswith("file://"):
        return uri
    check_relative(uri.removeprefix("file://"), what)
    return uri


def inside(root: str, relative: str, what: str = "path", *, never: Iterable[str] = ()) -> str:
    """Where ``relative`` lies under ``root``, after :func:`check_relative`
    and after making sure no symlink on the way leads out of ``root`` and
    the place is in none of the folders ``never`` (the store, wherever the
    config put it)."""
    check_relative(relative, what, control=True)
    target = os.path.join(root, relative)
    real_root = os.path.realpath(root)
    real_target = os.path.realpath(target)
    if not _under(os.path.realpath(os.path.dirname(target)), real_root):
        raise UnsafePathError(what, relative, f"a symlink on the way leads out of {root}")
    if os.path.islink(target) and not _under(real_target, real_root):
        raise UnsafePathError(what, relative, f"it is a symlink leading out of {root}")
    for folder in never:
        if _under(real_target, os.path.realpath(folder)):
            raise UnsafePathError(what, relative, f"it lies in {folder}")
    return target


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
