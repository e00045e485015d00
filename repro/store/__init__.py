"""Layer 2: the content-addressed object store over fsspec."""

from repro.store.backend import Backend, FsspecBackend, LocalBackend, open_backend
from repro.store.errors import (
    CorruptObjectError,
    InvalidOidError,
    ObjectNotFoundError,
    StoreFormatError,
    StoreWriteError,
)
from repro.store.fsck import FsckProblem, FsckReport, fsck
from repro.store.objects import Batch, ObjectStore
from repro.store.tree import InvalidTreeError, Tree, TreeEntry
from repro.store.trees import TreeNotFoundError, read_tree, write_tree

__all__ = [
    "Backend",
    "Batch",
    "CorruptObjectError",
    "FsckProblem",
    "FsckReport",
    "FsspecBackend",
    "InvalidOidError",
    "InvalidTreeError",
    "LocalBackend",
    "ObjectNotFoundError",
    "ObjectStore",
    "StoreFormatError",
    "StoreWriteError",
    "Tree",
    "TreeEntry",
    "TreeNotFoundError",
    "fsck",
    "open_backend",
    "read_tree",
    "write_tree",
]
