"""Run records built by hand for the tracking-query tests: small, valid
``repro.run/v1`` records whose cache keys follow from their fingerprints."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from repro.lineage.records import RunRecord

COMMIT = "a" * 40
ENVIRONMENT = "e" * 32


def oid(text: str) -> str:
    """A stable 32-hex id standing for ``text``."""
    return hashlib.md5(text.encode()).hexdigest()


def step(
    position: int,
    *,
    metrics: dict[str, float] | None = None,
    params: dict[str, Any] | None = None,
    inputs: dict[str, str] | None = None,
    code: str = "code",
    code_files: dict[str, str] | None = None,
    environment: str = ENVIRONMENT,
    image: str | None = None,
    outputs: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    logged_params: dict[str, Any] | None = None,
    upstream: list[str] | None = None,
    status: str = "executed",
) -> dict[str, Any]:
    fingerprints = {
        "code": oid(code),
        "environment": environment,
        "inputs": inputs or {},
        "params": params or {},
    }
    key = oid(json.dumps([fingerprints, image], sort_keys=True))
    return {
        "position": position,
        "kind": "python",
        "status": status,
        "cache_key": key,
        "fingerprints": fingerprints,
        "code_files": code_files or {"flow.py": oid(code)},
        "upstream": upstream or [],
        "outputs": {name: _artifact(value) for name, value in (outputs or {}).items()},
        "metrics": metrics or {},
        "image": image,
        "tags": tags or {},
        "logged_params": logged_params or {},
    }


def _artifact(value: str) -> dict[str, Any]:
    return {
        "oid": oid(value),
        "kind": "blob",
        "materializer": "json",
        "version": "1",
        "type": "builtins.list",
        "size": 4,
    }


def record(
    run_id: str,
    *,
    pipeline: str = "flow",
    created: str = "2026-01-01T00:00:00.000+00:00",
    commit: str | None = COMMIT,
    dirty: bool = False,
    status: str = "succeeded",
    params: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    steps: dict[str, dict[str, Any]] | None = None,
    inputs: dict[str, str] | None = None,
    distributions: dict[str, str] | None = None,
    environment: str = ENVIRONMENT,
) -> RunRecord:
    """``inputs`` maps each dataset's URI to the text its tree id stands for."""
    return RunRecord.model_validate(
        {
            "id": run_id,
            "pipeline": pipeline,
            "target": f"{pipeline}.py:{pipeline}",
            "backend": "local",
            "status": status,
            "created": created,
            "git": {"commit": commit, "branch": "main", "dirty": dirty},
            "environment": {
                "python": "cpython-3.11",
                "python_full": "3.11.7",
                "platform": "linux-x86_64",
                "lockfile": None,
                "lockfile_oid": None,
                "distributions": distributions or {"numpy": "2.4.6"},
                "oid": environment,
            },
            "params": params or {},
            "inputs": {
                uri: {"uri": uri, "oid": oid(text), "files": 1, "bytes": 10}
                for uri, text in (inputs or {}).items()
            },
            "steps": steps or {},
            "tags": tags or {},
        }
    )


def flow_record(
    run_id: str,
    *,
    factor: int = 3,
    rows: str = "1,2,3",
    created: str = "2026-01-01T00:00:00.000+00:00",
    **fields: Any,
) -> RunRecord:
    """The flow pipeline's shape: load (reads data) -> transform (factor) -> total."""
    values = [int(v) for v in rows.split(",")]
    scaled = [v * factor for v in values]
    steps = {
        "load": step(0, inputs={"path": oid(rows)}, outputs={"output": str(values)}),
        "transform": step(
            1,
            params={"factor": factor},
            inputs={"values": oid(str(values))},
            outputs={"output": str(scaled)},
            upstream=["load"],
            code_files={"flow.py": oid("code"), "helpers.py": oid("helpers")},
        ),
        "total": step(
            2,
            inputs={"values": oid(str(scaled))},
            outputs={"output": str(sum(scaled))},
            metrics={"total": float(sum(scaled))},
            upstream=["transform"],
        ),
    }
    return record(
        run_id,
        created=created,
        params={"factor": factor, "data": "data/rows.csv"},
        steps=steps,
        inputs={"data/rows.csv": rows},
        **fields,
    )
