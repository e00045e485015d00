"""Listing the files under a local path, with the errors a user can cause.

Symbolic links are followed (the snapshot holds what they point at), with
loop detection; ``.git`` and ``.repro`` folders are never part of data.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from repro.snapshot.errors import (
    BrokenSymlinkError,
    PathNotFoundError,
    SymlinkLoopError,
    UnreadablePathError,
    UnsupportedFileError,
)

__all__ = ["IGNORED_NAMES", "Listing", "list_files", "start_listing"]

IGNORED_NAMES = frozenset({".git", ".repro"})


@dataclass(frozen=True)
class Listing:
    """Files under ``root``: ``names[i]`` is relative to ``root`` (POSIX form).

    ``single`` marks a root that is itself a file; its one name is its own.
    """

    root: str
    names: list[str]
    single: bool = False


def list_files(path: str) -> Listing:
    listing, names = start_listing(path)
    listing.names.extend(names)
    return listing


def start_listing(path: str) -> tuple[Listing, Iterator[str]]:
    """An empty listing of ``path`` and the walk that yields its names, for
    a caller that starts hashing before the walk is over (it appends the
    names to ``listing.names`` as they come)."""
    root = os.path.abspath(path)
    info = _stat(root)
    if stat.S_ISREG(info.st_mode):
        return Listing(root, [], single=True), iter([os.path.basename(root)])
    if not stat.S_ISDIR(info.st_mode):
        raise UnsupportedFileError(root, _kind(info.st_mode))
    return Listing(root, []), _walk(root, "", {(info.st_dev, info.st_ino)})


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise BrokenSymlinkError(path) from None
        raise PathNotFoundError(path) from None
    except PermissionError as exc:
        raise UnreadablePathError(path) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SymlinkLoopError(path) from exc
        raise UnreadablePathError(path, exc.strerror or str(exc)) from exc


def _walk(directory: str, prefix: str, ancestors: set[tuple[int, int]]) -> Iterator[str]:
    """Yield the files below ``directory`` in the order of their full paths.

    Each folder's entries are visited sorted by name, a folder's name with a
    "/" after it (as git orders tree entries): then every path comes out in
    plain string order, so the listing is already the tree's order and any
    slice of it is a contiguous run of the tree.
    """
    try:
        entries = list(os.scandir(directory))
    except PermissionError as exc:
        raise UnreadablePathError(directory) from exc
    except OSError as exc:
        raise UnreadablePathError(directory, exc.strerror or str(exc)) from exc
    files: list[str] = []
    folders: dict[str, tuple[os.DirEntry[str], bool]] = {}  # "name/" -> (entry, via a link)
    for entry in entries:
        name = entry.name
        if name in IGNORED_NAMES:
            continue
        if entry.is_file(follow_symlinks=False):
            files.append(name)
        elif entry.is_dir(follow_symlinks=False):
            folders[name + "/"] = (entry, False)
        elif _followed_kind(entry, ancestors):
            folders[name + "/"] = (entry, True)
        else:
            files.append(name)
    if not folders:  # most folders of data: plain strings sort fastest
        files.sort()
        yield from [prefix + name for name in files]
        return
    for key in sorted(files + list(folders)):
        if key not in folders:
            yield prefix + key
            continue
        entry, linked = folders[key]
        below = ancestors
        if linked:
            info = os.stat(entry.path)
            below = ancestors | {(info.st_dev, info.st_ino)}
        yield from _walk(entry.path, prefix + key, below)


def _followed_kind(entry: os.DirEntry[str], ancestors: set[tuple[int, int]]) -> bool:
    """Whether a symbolic link leads to a folder (True) or a file (False);
    refuses loops, dangling links and special files."""
    info = _stat(entry.path)
    if stat.S_ISREG(info.st_mode):
        return False
    if stat.S_ISDIR(info.st_mode):
        if (info.st_dev, info.st_ino) in ancestors:
            raise SymlinkLoopError(entry.path)
        return True
    raise UnsupportedFileError(entry.path, _kind(info.st_mode))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
