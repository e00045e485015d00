"""The snapshot browser: a tree's files with their sizes, a page at a
time, which runs read or made the tree (from the runs' digests: no record
is loaded), and any file's bytes (or any object's), streamed from the local
store.

A file is found by its path in the tree's manifest, never by a path on
disk, and an id is checked as hex before the store is asked anything: a
request can name only what the store holds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from repro.errors import ReproError
from repro.store.trees import TREE_PREFIX
from repro.views.run_summaries import RunSummaries, run_summaries
from repro.views.runs_page import InvalidPageError

if TYPE_CHECKING:
    from repro.project import Project
    from repro.store import ObjectStore, Tree

from repro.views.paging import Paged

__all__ = [
    "FILES_PER_PAGE",
    "Download",
    "NotATreeError",
    "ObjectIdError",
    "ObjectMissingError",
    "TreeFile",
    "TreeFileNotFoundError",
    "TreeListing",
    "TreeUse",
    "object_download",
    "tree_file_download",
    "tree_listing",
]

FILES_PER_PAGE: Final = 500

# Control characters, what a header would read as syntax, and what Windows
# refuses in a file name.
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\;<>:|?*]')


class ObjectIdError(ReproError, LookupError):
    def __init__(self, text: str, algorithm: str) -> None:
        self.text = text
        self.algorithm = algorithm
        super().__init__(f"{text!r} is not an object id: give the whole {algorithm} id in hex")


class ObjectMissingError(ReproError, LookupError):
    def __init__(self, oid: str, what: str = "object") -> None:
        self.oid = oid
        self.what = what
        super().__init__(
            f"{what} {oid} is not in the local store; run `repro pull` to fetch it from the remote"
        )


class NotATreeError(ReproError, LookupError):
    def __init__(self, oid: str) -> None:
        self.oid = oid
        super().__init__(
            f"object {oid} is a file's bytes, not a tree; download it as an object instead"
        )


class TreeFileNotFoundError(ReproError, LookupError):
    def __init__(self, oid: str, path: str) -> None:
        self.oid = oid
        self.path = path
        super().__init__(f"tree {oid} has no file {path!r}; its page lists the files it holds")


@dataclass(frozen=True)
class TreeFile:
    path: str
    size: int
    executable: bool
    oid: str


@dataclass(frozen=True)
class TreeUse:
    """Where runs met the tree: as the data snapshot ``uri`` or as output
    ``output`` of step ``step``."""

    uri: str | None
    step: str | None
    output: str | None
    runs: int
    latest_run: str


@dataclass(frozen=True)
class TreeListing(Paged):
    oid: str
    files: tuple[TreeFile, ...]  # those of the page, by path
    count: int  # files in the tree
    size: int  # of every file
    uses: tuple[TreeUse, ...]
    page: int  # the page shown: the one asked for, or the last
    pages: int  # at least 1, even for an empty tree

    @property
    def first(self) -> int:
        """The position of the page's first file in the tree, from 1."""
        return (self.page - 1) * FILES_PER_PAGE + 1


@dataclass(frozen=True)
class Download:
    """Bytes to send: ``chunks`` reads them from the store as they are sent
    (and fails at the end if they do not hash to ``oid``)."""

    oid: str
    filename: str  # a single name, without folders or control characters
    size: int | None  # None when only reading would tell
    chunks: Iterator[bytes]


def _checked(store: ObjectStore, text: str) -> str:
    """``text`` as an id of the store (in lower case), refused unless it is one."""
    oid = text.lower()
    if not store.algorithm.is_valid_oid(oid):
        raise ObjectIdError(text, store.algorithm.name)
    return oid


def tree_listing(project: Project, oid: str, page: int = 1) -> TreeListing:
    """Page ``page`` (of FILES_PER_PAGE files; beyond the last: the last)
    of the files of tree ``oid``, and where the local runs met the tree."""
    if page < 1:
        raise InvalidPageError("page", str(page), "pages count from 1")
    store = project.store()
    oid = _checked(store, oid)
    tree = _read_tree(store, oid)
    pages = max(1, math.ceil(len(tree.entries) / FILES_PER_PAGE))
    page = min(page, pages)
    start = (page - 1) * FILES_PER_PAGE
    entries = tree.entries[start : start + FILES_PER_PAGE]
    return TreeListing(
        oid=oid,
        files=tuple(TreeFile(e.path, e.size, e.executable, e.oid) for e in entries),
        count=len(tree.entries),
        size=tree.size,
        uses=_uses(run_summaries(project), oid),
        page=page,
        pages=pages,
    )


def _read_tree(store: ObjectStore, oid: str) -> Tree:
    from repro.store import InvalidTreeError, Tree

    if not store.exists(oid):
        raise ObjectMissingError(oid, "tree")
    # The first chunk tells most blobs from a tree, and a blob may be large:
    # only what starts as a tree is read whole (the blob's reader is
    # dropped, which closes it).
    chunks = store.read_chunks(oid)
    first = next(chunks, b"")
    if not first.startswith(TREE_PREFIX):
        raise NotATreeError(oid)
    try:
        return Tree.from_bytes(first + b"".join(chunks), oid)
    except InvalidTreeError as exc:  # a blob that only starts like a tree
        raise NotATreeError(oid) from exc


def _uses(summaries: RunSummaries, oid: str) -> tuple[TreeUse, ...]:
    found: dict[tuple[str | None, str | None, str | None], list[str]] = {}
    for run, snapshot in summaries.snapshotted.get(oid, ()):
        found.setdefault((snapshot.uri, None, None), []).append(run.id)
    for flow in summaries.made.get(oid, ()):
        found.setdefault((None, flow.step.name, flow.name), []).append(flow.run.id)
    return tuple(
        TreeUse(uri, step, output, len(set(runs)), max(runs))
        for (uri, step, output), runs in found.items()
    )


def tree_file_download(project: Project, oid: str, path: str) -> Download:
    """The file at ``path`` of tree ``oid``, looked up in its manifest."""
    store = project.store()
    entry = _read_tree(store, _checked(store, oid)).as_dict().get(path)
    if entry is None:
        raise TreeFileNotFoundError(oid, path)
    return _download(store, entry.oid, _safe_filename(path, entry.oid), entry.size)


def object_download(project: Project, oid: str) -> Download:
    """Any object of the local store by its id (a blob, or a tree's manifest)."""
    store = project.store()
    return _download(store, _checked(store, oid), oid, None)


def _download(store: ObjectStore, oid: str, filename: str, size: int | None) -> Download:
    if not store.exists(oid):
        raise ObjectMissingError(oid)
    return Download(oid, filename, size, store.read_chunks(oid))


def _safe_filename(path: str, fallback: str) -> str:
    name = _UNSAFE_NAME.sub("_", path.rpartition("/")[2]).strip()
    return name if name.strip(".") else fallback
