"""checkout: make a folder hold exactly the files of a tree.

Each file is materialized by the first link type that works: a reflink
(copy-on-write clone) where the filesystem has one, else a hard link to the
read-only loose object, else a verified copy. Every file lands through a
temp file and a rename, so an interrupted checkout leaves each file either
old or new. A file that would be overwritten or deleted while its content
is nowhere in the store is a conflict unless ``force`` is given: checkout
never loses data silently.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from repro.config import LINK_TYPES
from repro.errors import ReproError, UsageError
from repro.snapshot.build import snapshot
from repro.snapshot.diff import diff_trees
from repro.snapshot.errors import CheckoutConflictError, ProtectedPathError
from repro.snapshot.statcache import Entry, StatCache, by_folder, entry_of
from repro.snapshot.walk import IGNORED_NAMES, refuse_protected
from repro.store import ObjectStore, Tree, TreeEntry

__all__ = ["LINK_TYPES", "CheckoutResult", "InvalidLinkTypeError", "checkout"]

_FICLONE = 0x40049409
_LINK_FALLBACK = {
    errno.EOPNOTSUPP,
    errno.ENOTTY,
    errno.EXDEV,
    errno.EINVAL,
    errno.EPERM,
    errno.EMLINK,
}


class InvalidLinkTypeError(UsageError, ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown link type {name!r} (choose from {', '.join(LINK_TYPES)})")


class DestinationNotAFolderError(ReproError, NotADirectoryError):
    def __init__(self, dest: str) -> None:
        self.dest = dest
        super().__init__(f"{dest} exists and is not a folder")


@dataclass
class CheckoutResult:
    dest: str
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    links: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.modified or self.deleted)


def checkout(
    store: ObjectStore,
    tree: Tree,
    dest: str,
    *,
    link_types: Sequence[str] = LINK_TYPES,
    force: bool = False,
    stat_cache: StatCache | None = None,
    progress: Callable[[int], None] | None = None,
) -> CheckoutResult:
    for name in link_types:
        if name not in LINK_TYPES:
            raise InvalidLinkTypeError(name)
    dest = os.path.abspath(dest)
    _refuse_destination(store, dest)
    started = time.time_ns()
    current = _current_tree(store, dest, stat_cache)
    change = diff_trees(current, tree)
    doomed = [c.old for c in change.changed] + change.removed
    _refuse_losses(store, dest, doomed, force)
    result = CheckoutResult(dest, unchanged=change.unchanged)
    touched = [c.path for c in change.changed] + [e.path for e in change.added + change.removed]
    _refuse_escapes(dest, touched)
    for entry in change.removed:
        _remove(dest, entry.path)
        result.deleted.append(entry.path)
    writes = [(c.new, result.modified) for c in change.changed] + [
        (e, result.added) for e in change.added
    ]
    written: list[tuple[str, Entry]] = []
    for entry, bucket in writes:
        target = os.path.join(dest, entry.path)
        result.links[_materialize(store, entry, target, link_types)] += 1
        bucket.append(entry.path)
        written.append((target, entry_of(os.stat(target), entry.oid)))
        if progress is not None:
            progress(1)
    if stat_cache is not None and written:
        stat_cache.save(by_folder(written), started)
    return result


def _refuse_destination(store: ObjectStore, dest: str) -> None:
    refuse_protected(dest)
    root = store.backend.local_path("")
    if root is None:
        return
    store_root, real = os.path.realpath(root), os.path.realpath(dest)
    holds = os.path.relpath(store_root, real)  # "..": the store is not in dest
    # A store under dest's .repro or .git is safe: checkout never goes there.
    if not holds.startswith("..") and not IGNORED_NAMES.intersection(holds.split(os.sep)):
        raise ProtectedPathError(dest, f"the object store's folder or holds it ({store_root})")
    if not os.path.relpath(real, store_root).startswith(".."):
        raise ProtectedPathError(dest, f"inside the object store ({store_root})")


def _refuse_escapes(dest: str, paths: list[str]) -> None:
    """Refuse before changing anything if a path would be reached through a
    symbolic link that leads out of ``dest``: the snapshot of ``dest``
    followed that link, but a checkout must not write or delete outside."""
    real = os.path.realpath(dest)
    seen: set[str] = set()
    for path in paths:
        folder = os.path.dirname(os.path.join(dest, path))
        while folder not in seen and folder != dest and not os.path.isdir(folder):
            folder = os.path.dirname(folder)  # its nearest existing ancestor in dest
        if folder in seen or folder == dest:
            continue
        seen.add(folder)
        resolved = os.path.realpath(folder)
        if resolved != real and not resolved.startswith(real + os.sep):
            raise ProtectedPathError(
                os.path.join(dest, path), f"reached through a symbolic link to {resolved}"
            )


def _current_tree(store: ObjectStore, dest: str, stat_cache: StatCache | None) -> Tree:
    if not os.path.lexists(dest):
        return Tree(store.algorithm.name, ())
    if not os.path.isdir(dest):
        raise DestinationNotAFolderError(dest)
    return snapshot(dest, algorithm=store.algorithm.name, stat_cache=stat_cache).tree


def _refuse_losses(store: ObjectStore, dest: str, doomed: list[TreeEntry], force: bool) -> None:
    if force or not doomed:
        return
    missing = store.missing({entry.oid for entry in doomed})
    at_risk = sorted(entry.path for entry in doomed if entry.oid in missing)
    if at_risk:
        raise CheckoutConflictError(dest, at_risk)


def _remove(dest: str, path: str) -> None:
    os.unlink(os.path.join(dest, path))
    parent = os.path.dirname(path)
    while parent:
        try:
            os.rmdir(os.path.join(dest, parent))
        except OSError:
            return
        parent = os.path.dirname(parent)


def _materialize(
    store: ObjectStore, entry: TreeEntry, target: str, link_types: Sequence[str]
) -> str:
    directory = os.path.dirname(target)
    _make_dirs(directory)
    source = store.local_path(entry.oid)
    for link_type in link_types:
        if link_type != "copy" and source is None:
            continue
        if link_type == "hardlink" and entry.executable:
            continue  # the shared inode is read-only and cannot carry +x
        if _try(link_type, store, entry, source, target):
            return link_type
    _copy(store, entry, target)
    return "copy"


def _make_dirs(directory: str) -> None:
    """Create ``directory``, replacing a file that stands where a folder must be."""
    try:
        os.makedirs(directory, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = directory
        while not os.path.isfile(blocker):
            blocker = os.path.dirname(blocker)
        os.unlink(blocker)
        os.makedirs(directory, exist_ok=True)


def _try(
    link_type: str, store: ObjectStore, entry: TreeEntry, source: str | None, target: str
) -> bool:
    try:
        if link_type == "reflink":
            assert source is not None
            _reflink(source, target, entry.executable)
        elif link_type == "hardlink":
            assert source is not None
            _hardlink(source, target)
        else:
            _copy(store, entry, target)
    except OSError as exc:
        if exc.errno in _LINK_FALLBACK:
            return False
        raise
    return True


def _temp_beside(target: str) -> tuple[int, str]:
    return tempfile.mkstemp(dir=os.path.dirname(target), prefix=".repro-tmp-")


def _file_mode(executable: bool) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if executable else 0o666) & ~umask


def _reflink(source: str, target: str, executable: bool) -> None:
    fd, tmp = _temp_beside(target)
    try:
        with open(source, "rb") as src:
            fcntl.ioctl(fd, _FICLONE, src.fileno())
        os.fchmod(fd, _file_mode(executable))
        os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        _discard(fd, tmp)
        raise


def _hardlink(source: str, target: str) -> None:
    # A short name beside the target: "<target>.<suffix>" can pass NAME_MAX.
    tmp = os.path.join(os.path.dirname(target), f".repro-tmp-{os.urandom(6).hex()}")
    os.link(source, tmp)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _copy(store: ObjectStore, entry: TreeEntry, target: str) -> None:
    fd, tmp = _temp_beside(target)
    try:
        with os.fdopen(os.dup(fd), "wb") as out:
            for chunk in store.read_chunks(entry.oid, verify=True):
                out.write(chunk)
        os.fchmod(fd, _file_mode(entry.executable))
        os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        _discard(fd, tmp)
        raise


def _discard(fd: int, tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)  # already closed when the failure came after the close
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
