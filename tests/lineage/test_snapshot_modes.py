"""An input snapshot's mode: "copy" (a tree of stored content, the default,
left out when written so that older records and locks keep their bytes and
ids) or "reference" (a manifest of the objects, written out)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from repro.hashing import canonical_dumps
from repro.lineage.lock import dump_lock, parse_lock
from repro.lineage.records import InputSnapshot

GOLDEN = Path(__file__).parent / "golden" / "lock.yaml"
OLD = {"uri": "s3://b/data/", "oid": "0" * 32, "files": 2, "bytes": 7, "kind": "folder"}


def test_a_snapshot_written_before_modes_reads_as_copy() -> None:
    assert InputSnapshot.model_validate(OLD).mode == "copy"


def test_a_copy_snapshot_serializes_as_before() -> None:
    snapshot = InputSnapshot.model_validate(OLD)
    assert canonical_dumps(snapshot.model_dump(mode="json")) == canonical_dumps(OLD)


def test_a_reference_snapshot_round_trips() -> None:
    snapshot = InputSnapshot.model_validate({**OLD, "mode": "reference"})
    dumped = snapshot.model_dump(mode="json", by_alias=True)
    assert dumped["mode"] == "reference"
    assert InputSnapshot.model_validate(dumped) == snapshot


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValidationError, match="'copy' or 'reference'"):
        InputSnapshot.model_validate({**OLD, "mode": "link"})


def test_a_lock_keeps_the_reference_mode_and_omits_copy() -> None:
    lock = parse_lock(GOLDEN.read_text())
    name, entry = next(iter(lock.pipelines.items()))
    reference = InputSnapshot.model_validate({**OLD, "mode": "reference"})
    changed = lock.with_pipeline(name, entry.model_copy(update={"inputs": {OLD["uri"]: reference}}))
    text = dump_lock(changed)
    assert "mode: reference" in text
    assert parse_lock(text) == changed
    assert "mode:" not in dump_lock(lock)
