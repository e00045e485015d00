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
    from repro.snapshot.reference import (
        DatasetMovedOnError,
        ReferenceEntry,
        ReferenceManifest,
        fetch_reference,
        list_reference,
        read_manifest,
    )

_LAZY = {
    "Change": "repro.snapshot.diff",
    "CheckoutResult": "repro.snapshot.checkout",
    "DatasetMovedOnError": "repro.snapshot.reference",
    "InvalidLinkTypeError": "repro.snapshot.checkout",
    "LINK_TYPES": "repro.snapshot.checkout",
    "ReferenceEntry": "repro.snapshot.reference",
    "ReferenceManifest": "repro.snapshot.reference",
    "SnapshotResult": "repro.snapshot.build",
    "TreeDiff": "repro.snapshot.diff",
    "default_jobs": "repro.snapshot.build",
    "diff_trees": "repro.snapshot.diff",
    "fetch_reference": "repro.snapshot.reference",
    "list_reference": "repro.snapshot.reference",
    "read_manifest": "repro.snapshot.reference",
    "snapshot": "repro.snapshot.build",
}


__getattr__ = lazy_exports(globals(), _LAZY)


__all__ = [
    "LINK_TYPES",
    "Change",
    "CheckoutConflictError",
    "CheckoutResult",
    "DatasetMovedOnError",
    "InvalidLinkTypeError",
    "ReferenceEntry",
    "ReferenceManifest",
    "SnapshotPathError",
    "SnapshotResult",
    "StatCache",
    "SymlinkLoopError",
    "TreeDiff",
    "UnreadablePathError",
    "UnsupportedFileError",
    "default_jobs",
    "diff_trees",
    "fetch_reference",
    "list_reference",
    "read_manifest",
    "snapshot",
]
