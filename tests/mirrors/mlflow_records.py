"""Run records built in code, for the mirror tests that need no real run."""

from __future__ import annotations

from typing import Any

from repro.lineage.records import RunRecord

__all__ = ["make_record", "make_step"]


def make_step(position: int, **fields: Any) -> dict[str, Any]:
    return {
        "position": position,
        "kind": "python",
        "status": "executed",
        "cache_key": None,
        "fingerprints": None,
        **fields,
    }


def make_record(**fields: Any) -> RunRecord:
    doc: dict[str, Any] = {
        "id": "01hq3v8k2m9x4c",
        "pipeline": "train",
        "target": "flows/train.py:train",
        "backend": "local",
        "status": "succeeded",
        "created": "2025-03-14T09:26:53.500Z",
        "finished": "2025-03-14T09:26:55.021Z",
        "git": {
            "commit": "9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6a",
            "branch": "main",
            "dirty": False,
        },
        "environment": {
            "python": "cpython-3.11",
            "python_full": "3.11.9",
            "platform": "linux-x86_64",
            "lockfile": None,
            "lockfile_oid": None,
            "distributions": {},
            "oid": "a41d7e90c3b25f68d1e4a7b0c3f69d2e",
        },
        "params": {},
        "inputs": {},
        "steps": {},
        **fields,
    }
    return RunRecord.model_validate(doc)
