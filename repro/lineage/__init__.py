"""Run records, the lock file and the local run index (pure data plus
(de)serialization)."""

from repro.lazy import lazy_exports

__all__ = [
    "LockFile",
    "LockedPipeline",
    "LockedStep",
    "RunIndex",
    "RunRecord",
    "StepRecord",
    "read_lock",
]

__getattr__ = lazy_exports(
    globals(),
    {
        "LockFile": "repro.lineage.lock",
        "LockedPipeline": "repro.lineage.lock",
        "LockedStep": "repro.lineage.lock",
        "read_lock": "repro.lineage.lock",
        "RunIndex": "repro.lineage.runs",
        "RunRecord": "repro.lineage.records",
        "StepRecord": "repro.lineage.records",
    },
)
