"""Layer 2: the content-addressed object store over fsspec."""

from __future__ import annotations

from typing import TYPE_CHECKING

from repro.lazy import lazy_exports
from repro.store.backend import Backend, FsspecBackend, LocalBackend, open_backend
from repro.store.errors import (
    AmbiguousOidPrefixError,
    CorruptObjectError,
    InvalidOidError,
    InvalidOidPrefixError,
    ObjectNotFoundError,
    StoreFormatError,
    StoreWriteError,
    UnknownOidPrefixError,
)
from repro.store.objects import Batch, ObjectStore
from repro.store.tree import InvalidTreeError, Tree, TreeEntry

if TYPE_CHECKING:
    from repro.store.fsck import FsckProblem, FsckReport
    from repro.store.prefix import resolve_prefix
    from repro.store.trees import TreeNotFoundError, read_tree, write_tree

_LAZY = {
    "FsckProblem": "repro.store.fsck",
    "FsckReport": "repro.store.fsck",
    "TreeNotFoundError": "repro.store.trees",
    "read_tree": "repro.store.trees",
    "resolve_prefix": "repro.store.prefix",
    "write_tree": "repro.store.trees",
}


__getattr__ = lazy_exports(globals(), _LAZY)


__all__ = [
    "AmbiguousOidPrefixError",
    "Backend",
    "Batch",
    "CorruptObjectError",
    "FsckProblem",
    "FsckReport",
    "FsspecBackend",
    "InvalidOidError",
    "InvalidOidPrefixError",
    "InvalidTreeError",
    "LocalBackend",
    "ObjectNotFoundError",
    "ObjectStore",
    "StoreFormatError",
    "StoreWriteError",
    "Tree",
    "TreeEntry",
    "TreeNotFoundError",
    "UnknownOidPrefixError",
    "open_backend",
    "read_tree",
    "resolve_prefix",
    "write_tree",
]
