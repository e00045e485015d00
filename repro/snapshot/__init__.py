"""Layer 3: files, folders and URLs become trees, and trees become folders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from repro.lazy import lazy_exports
from repro.snapshot.errors import (
    CheckoutConflictError,
    SnapshotPathError,
    SymlinkLoopError,
    UnreadablePathError,
    UnsupportedFileError,
)
from repro.snapshot.statcache import StatCache

if TYPE_CHECKING:
    from repro.snapshot.build import SnapshotResult, default_jobs, snapshot
    from repro.snapshot.checkout import LINK_TYPES, CheckoutResult, InvalidLinkTypeError
    from repro.snapshot.diff import Change, TreeDiff, diff_trees

_LAZY = {
    "Change": "repro.snapshot.diff",
    "CheckoutResult": "repro.snapshot.checkout",
    "InvalidLinkTypeError": "repro.snapshot.checkout",
    "LINK_TYPES": "repro.snapshot.checkout",
    "SnapshotResult": "repro.snapshot.build",
    "TreeDiff": "repro.snapshot.diff",
    "default_jobs": "repro.snapshot.build",
    "diff_trees": "repro.snapshot.diff",
    "snapshot": "repro.snapshot.build",
}


__getattr__ = lazy_exports(globals(), _LAZY)


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
    "default_jobs",
    "diff_trees",
    "snapshot",
]
