"""Layer 3: files, folders and URLs become trees, and trees become folders."""

from repro.snapshot.build import SnapshotResult, default_jobs, snapshot
from repro.snapshot.checkout import LINK_TYPES, CheckoutResult, InvalidLinkTypeError, checkout
from repro.snapshot.diff import Change, TreeDiff, diff_trees
from repro.snapshot.errors import (
    CheckoutConflictError,
    SnapshotPathError,
    SymlinkLoopError,
    UnreadablePathError,
    UnsupportedFileError,
)
from repro.snapshot.statcache import StatCache

__all__ = [
    "LINK_TYPES",
    "Change",
    "CheckoutConflictError",
    "CheckoutResult",
    "InvalidLinkTypeError",
    "SnapshotPathError",
    "SnapshotResult",
    "StatCache",
    "SymlinkLoopError",
    "TreeDiff",
    "UnreadablePathError",
    "UnsupportedFileError",
    "checkout",
    "default_jobs",
    "diff_trees",
    "snapshot",
]
