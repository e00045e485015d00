"""Listing the files under a local path, with the errors a user can cause.

Symbolic links are followed (the snapshot holds what they point at), with
loop detection; ``.git`` and ``.repro`` folders are never part of data, and
a link leading into one is refused rather than followed.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

from repro.snapshot.errors import (
    BrokenSymlinkError,
    PathNotFoundError,
    ProtectedPathError,
    SymlinkLoopError,
    UnreadablePathError,
    UnsupportedFileError,
    UnsupportedNameError,
)
from repro.snapshot.statcache import Listings, Scanned

__all__ = ["IGNORED_NAMES", "Listing", "list_files", "refuse_protected", "start_listing"]

IGNORED_NAMES = frozenset({".git", ".repro"})


@dataclass(frozen=True)
class Listing:
    """Files under ``root``: ``names[i]`` is relative to ``root`` (POSIX form).

    ``single`` marks a root that is itself a file; its one name is its own.
    """

    root: str
    names: list[str]
    single: bool = False
    scanned: Scanned = field(default_factory=dict)


def list_files(path: str) -> Listing:
    listing, names = start_listing(path)
    listing.names.extend(names)
    return listing


def start_listing(path: str, listings: Listings | None = None) -> tuple[Listing, Iterator[str]]:
    """An empty listing of ``path`` and the walk that yields its names, for
    a caller that starts hashing before the walk is over (it appends the
    names to ``listing.names`` as they come). With ``listings``, folders
    unchanged since they were last read are not read again; the folders
    that were read go to ``listing.scanned``."""
    root = os.path.abspath(path)
    info = _stat(root)
    refuse_protected(root)
    if stat.S_ISREG(info.st_mode):
        _refuse_undecodable(os.path.dirname(root), [os.path.basename(root)])
        return Listing(root, [], single=True), iter([os.path.basename(root)])
    if not stat.S_ISDIR(info.st_mode):
        raise UnsupportedFileError(root, _kind(info.st_mode))
    listing = Listing(root, [])
    walk = _Walk(listings, listing.scanned)
    return listing, walk.folder(root, "", {(info.st_dev, info.st_ino)})


def refuse_protected(path: str) -> None:
    """Refuse a path inside a ``.git`` or ``.repro`` folder (or naming one):
    data never comes from there, and checkouts never write there."""
    real = os.path.realpath(path)
    if IGNORED_NAMES.intersection(real.split(os.sep)):
        raise ProtectedPathError(path, "inside a .git or .repro folder")


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


class _Walk:
    def __init__(self, listings: Listings | None, scanned: Scanned) -> None:
        self.listings = listings
        self.scanned = scanned

    def folder(self, directory: str, prefix: str, ancestors: set[tuple[int, int]]) -> Iterator[str]:
        """Yield the files below ``directory`` in the order of their full paths.

        Each folder's entries are visited sorted by name, a folder's name
        with a "/" after it (as git orders tree entries): then every path
        comes out in plain string order, so the listing is already the
        tree's order and any slice of it is a contiguous run of the tree.
        """
        info = _stat(directory)
        keys = self.listings.keys_for(directory, info) if self.listings is not None else None
        linked: set[str] = set()
        if keys is None:
            keys, linked = _read_folder(directory, ancestors)
            if not linked:  # a link's target can change without the folder changing
                self.scanned[directory] = (info.st_mtime_ns, info.st_ino, keys)
        if not any(key.endswith("/") for key in keys):  # most folders of data
            yield from [prefix + key for key in keys]
            return
        for key in keys:
            if not key.endswith("/"):
                yield prefix + key
                continue
            below = ancestors
            path = f"{directory}/{key[:-1]}"
            if key in linked:
                target = os.stat(path)
                below = ancestors | {(target.st_dev, target.st_ino)}
            yield from self.folder(path, prefix + key, below)


def _read_folder(directory: str, ancestors: set[tuple[int, int]]) -> tuple[list[str], set[str]]:
    """The folder's sorted walk keys, and which of them are links to folders."""
    try:
        entries = list(os.scandir(directory))
    except PermissionError as exc:
        raise UnreadablePathError(directory) from exc
    except OSError as exc:
        raise UnreadablePathError(directory, exc.strerror or str(exc)) from exc
    keys: list[str] = []
    linked: set[str] = set()
    for entry in entries:
        name = entry.name
        if name in IGNORED_NAMES:
            continue
        if entry.is_file(follow_symlinks=False):
            keys.append(name)
        elif entry.is_dir(follow_symlinks=False):
            keys.append(name + "/")
        elif _followed_kind(entry, ancestors):
            keys.append(name + "/")
            linked.add(name + "/")
        else:
            keys.append(name)
            linked.add(name)
    _refuse_undecodable(directory, keys)
    keys.sort()
    return keys, linked


def _refuse_undecodable(directory: str, names: list[str]) -> None:
    """Names that are not UTF-8 (Python keeps their bytes as surrogates)
    cannot go into a manifest that other machines must read the same way."""
    try:
        "".join(names).encode("utf-8")
    except UnicodeEncodeError:
        bad = next(name for name in names if not _is_utf8(name))
        raise UnsupportedNameError(os.path.join(directory, bad)) from None


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _followed_kind(entry: os.DirEntry[str], ancestors: set[tuple[int, int]]) -> bool:
    """Whether a symbolic link leads to a folder (True) or a file (False);
    refuses loops, dangling links, special files and links into ``.git`` or
    ``.repro``."""
    info = _stat(entry.path)
    _refuse_link_into_protected(entry.path)
    if stat.S_ISREG(info.st_mode):
        return False
    if stat.S_ISDIR(info.st_mode):
        if (info.st_dev, info.st_ino) in ancestors:
            raise SymlinkLoopError(entry.path)
        return True
    raise UnsupportedFileError(entry.path, _kind(info.st_mode))


def _refuse_link_into_protected(path: str) -> None:
    """A link into ``.git`` or ``.repro`` would bring their files (hooks,
    config, the store) into data and, checked out, write there; the walk
    skips those folders by name, so a link must not lead around that."""
    target = os.path.realpath(path)
    if IGNORED_NAMES.intersection(target.split(os.sep)):
        raise ProtectedPathError(path, f"a symbolic link into a .git or .repro folder ({target})")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
