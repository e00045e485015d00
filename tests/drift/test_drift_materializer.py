"""A DriftReport stored as canonical JSON in a real object store, and read back."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from repro.drift import DriftReport, DriftThresholds, detect_drift
from repro.hashing import canonical_dumps
from repro.materialize import (
    Artifact,
    ArtifactLoadError,
    Registry,
    builtin_materializers,
    default_registry,
)
from repro.store import ObjectStore


@pytest.fixture
def registry() -> Registry:
    return Registry(builtin_materializers())


@pytest.fixture
def report(reference: pd.DataFrame) -> DriftReport:
    current = reference.assign(x=reference["x"] * 3)
    return detect_drift(reference, current, thresholds=DriftThresholds(share=0.5))


def test_a_report_round_trips_through_the_store(
    registry: Registry, store: ObjectStore, report: DriftReport
) -> None:
    loaded = registry.load(registry.dump(report, store), store)
    assert isinstance(loaded, DriftReport)
    assert loaded == report and bool(loaded) is False


def test_the_artifact_names_the_drift_materializer(
    registry: Registry, store: ObjectStore, report: DriftReport
) -> None:
    artifact = registry.dump(report, store)
    assert (artifact.materializer, artifact.version, artifact.kind, artifact.type) == (
        "drift.report",
        "1",
        "blob",
        "repro.drift.report.DriftReport",
    )


def test_the_stored_bytes_are_the_reports_canonical_json(
    registry: Registry, store: ObjectStore, report: DriftReport
) -> None:
    artifact = registry.dump(report, store)
    data = store.read(artifact.oid)
    assert data == canonical_dumps(report.to_dict())
    assert json.loads(data)["format"] == "repro.drift/v1"


def test_the_same_report_gives_the_same_object(
    registry: Registry, store: ObjectStore, reference: pd.DataFrame
) -> None:
    current = reference.assign(x=reference["x"] + 1)
    first = registry.dump(detect_drift(reference, current), store)
    second = registry.dump(detect_drift(reference.copy(), current.copy()), store)
    assert first.oid == second.oid


def test_the_default_registry_stores_reports(store: ObjectStore, report: DriftReport) -> None:
    assert default_registry().dump(report, store).materializer == "drift.report"


def test_damaged_bytes_fail_naming_the_artifact(registry: Registry, store: ObjectStore) -> None:
    oid = store.write(b'{"format":"repro.drift/v1"}')
    artifact = Artifact(oid, "blob", "drift.report", "1", "repro.drift.report.DriftReport", 27)
    with pytest.raises(ArtifactLoadError, match=f"cannot load artifact {oid}.*missing keys"):
        registry.load(artifact, store)


def test_a_report_from_a_newer_repro_asks_to_upgrade(
    registry: Registry, store: ObjectStore, report: DriftReport
) -> None:
    data = canonical_dumps({**report.to_dict(), "format": "repro.drift/v2"})
    artifact = Artifact(store.write(data), "blob", "drift.report", "1", "x.DriftReport", len(data))
    with pytest.raises(ArtifactLoadError, match="upgrade repro"):
        registry.load(artifact, store)
