"""The run record (``repro.run/v1``): a golden canonical JSON, strict parsing,
step order and schema export."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import ValidationError

from repro.hashing import canonical_dumps, canonical_loads
from repro.lineage.records import (
    RUN_SCHEMA,
    ArtifactRecord,
    EnvironmentRecord,
    Fingerprints,
    GitRecord,
    InputSnapshot,
    ModelVersion,
    RunRecord,
    StepRecord,
    Verification,
)

GOLDEN = Path(__file__).parent / "golden" / "run.json"
REGENERATE = os.environ.get("REPRO_REGEN_GOLDEN") == "1"

ENV_OID = "a41d7e90c3b25f68d1e4a7b0c3f69d2e"
DATA_OID = "e5c8a1f4b7d0e3a6c9f2b5d8e1a4c7f0"
ROWS_OID = "8a1d4f7c0e3b6a9d2f5c8e1b4a7d0c3f"
MODEL_OID = "d6a9c2f5e8b1d4a7c0f3e6b9d2a5c8f1"


def artifact(
    oid: str, kind: Literal["blob", "tree"] = "blob", type_: str = "builtins.list"
) -> ArtifactRecord:
    return ArtifactRecord(
        oid=oid, kind=kind, materializer="json", version="1", type=type_, size=1834
    )


def step_record(position: int, **changes: Any) -> StepRecord:
    fields: dict[str, Any] = {
        "position": position,
        "kind": "python",
        "status": "executed",
        "cache_key": "5b8e1a4d7c0f3b6e9a2d5c8f1e4b7a0d",
        "fingerprints": Fingerprints(
            code="17d4a9e2c5f8b1d4e7a0c3f6b9d2e5a8",
            environment=ENV_OID,
            inputs={"path": DATA_OID},
            params={},
        ),
        "code_files": {"flows/train.py": "c2f5b8e1d4a7c0f3b6e9d2a5c8f1b4e7"},
        "outputs": {"output": artifact(ROWS_OID)},
        "started": "2025-03-14T09:26:53.589Z",
        "duration": 0.125,
        "reason": "no stored result for this cache key",
    }
    return StepRecord(**{**fields, **changes})


def record(**changes: Any) -> RunRecord:
    fields: dict[str, Any] = {
        "id": "01hq3v8k2m9x4c",
        "pipeline": "train",
        "target": "flows/train.py:train",
        "backend": "local",
        "status": "succeeded",
        "created": "2025-03-14T09:26:53.500Z",
        "finished": "2025-03-14T09:26:55.021Z",
        "git": GitRecord(
            commit="9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6a", branch="main", dirty=False
        ),
        "environment": EnvironmentRecord(
            python="cpython-3.11",
            python_full="3.11.9",
            platform="linux-x86_64",
            lockfile="uv.lock",
            lockfile_oid="0b7e3a9c5d1f8e2a4c6b9d0e7f3a1c58",
            distributions={"numpy": "2.4.6", "scikit-learn": "1.9.0"},
            oid=ENV_OID,
        ),
        "params": {"data": "data/rows.csv", "epochs": 20, "rate": 0.05},
        "inputs": {
            "data/rows.csv": InputSnapshot(uri="data/rows.csv", oid=DATA_OID, files=1, bytes=48213)
        },
        # Inserted out of definition order on purpose: ordered_steps() must sort.
        "steps": {
            "train": step_record(
                1,
                status="cached",
                upstream=["load"],
                outputs={"model": artifact(MODEL_OID, "tree", "sklearn.ensemble.RandomForest")},
                metrics={"accuracy": 0.9375, "loss": 0.21},
                cached_from="01hq3v1a0b2c3d",
            ),
            "load": step_record(0),
        },
        "tags": {"owner": "ml-team"},
        "models": [ModelVersion(name="churn", version=MODEL_OID, step="train", output="model")],
        "replay_of": "01hq2zz0k4r7mn",
        "verification": Verification(
            verdict="identical", steps={"load": "identical", "train": "identical"}
        ),
    }
    return RunRecord(**{**fields, **changes})


def test_canonical_json_matches_the_golden_file() -> None:
    data = canonical_dumps(record().to_json_dict())
    if REGENERATE:
        GOLDEN.write_bytes(data)
    assert GOLDEN.read_bytes() == data


def test_golden_file_parses_to_the_same_record() -> None:
    assert RunRecord.model_validate_json(GOLDEN.read_bytes()) == record()


def test_schema_is_serialized_by_its_alias() -> None:
    doc = record().to_json_dict()
    assert doc["schema"] == RUN_SCHEMA == "repro.run/v1"
    assert "schema_" not in doc


def test_schema_is_read_by_its_alias() -> None:
    doc = record().to_json_dict()
    assert RunRecord.model_validate(doc).schema_ == RUN_SCHEMA


def test_other_schema_is_refused() -> None:
    doc = {**record().to_json_dict(), "schema": "repro.run/v2"}
    with pytest.raises(ValidationError, match=r"schema\n  Input should be 'repro.run/v1'"):
        RunRecord.model_validate(doc)


def test_canonical_json_round_trips() -> None:
    assert (
        RunRecord.model_validate(canonical_loads(canonical_dumps(record().to_json_dict())))
        == record()
    )


def test_extra_field_on_the_record_is_refused() -> None:
    doc = {**record().to_json_dict(), "secret": "x"}
    with pytest.raises(ValidationError, match=r"secret\n  Extra inputs are not permitted"):
        RunRecord.model_validate(doc)


def test_extra_field_deep_inside_is_refused() -> None:
    doc = record().to_json_dict()
    doc["steps"]["load"]["outputs"]["output"]["path"] = "/home/me/rows.json"
    with pytest.raises(ValidationError, match=r"steps.load.outputs.output.path\n  Extra inputs"):
        RunRecord.model_validate(doc)


def test_missing_field_is_refused() -> None:
    doc = record().to_json_dict()
    del doc["git"]
    with pytest.raises(ValidationError, match=r"git\n  Field required"):
        RunRecord.model_validate(doc)


def test_records_are_frozen() -> None:
    with pytest.raises(ValidationError, match="Instance is frozen"):
        record().status = "failed"


def test_ordered_steps_follow_position_not_name_or_insertion() -> None:
    steps = {
        "b_evaluate": step_record(2),
        "c_load": step_record(0),
        "a_train": step_record(1),
    }
    ordered = record(steps=steps).ordered_steps()
    assert [name for name, _ in ordered] == ["c_load", "a_train", "b_evaluate"]
    assert [step.position for _, step in ordered] == [0, 1, 2]


def test_json_schema_of_the_run_record() -> None:
    schema = RunRecord.model_json_schema(by_alias=True)
    assert schema["properties"]["schema"]["const"] == RUN_SCHEMA
    assert "schema_" not in schema["properties"]
    assert schema["additionalProperties"] is False
    assert {"id", "pipeline", "git", "environment", "params", "inputs", "steps"} <= set(
        schema["required"]
    )
    assert {"StepRecord", "ArtifactRecord", "GitRecord", "Verification"} <= set(schema["$defs"])


def test_json_schema_of_a_step_lists_its_statuses() -> None:
    step = RunRecord.model_json_schema(by_alias=True)["$defs"]["StepRecord"]
    assert step["properties"]["status"]["enum"] == ["executed", "cached", "failed", "skipped"]
    assert step["additionalProperties"] is False
