"""pickle: the fallback, only where the project opts in."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import pytest

from repro.materialize import (
    Artifact,
    ArtifactLoadError,
    MaterializeError,
    MaterializeOptions,
    NoMaterializerError,
    PickleNotAllowedError,
    Registry,
)
from repro.materialize.pickles import PickleMaterializer
from repro.store import ObjectStore


@dataclass(frozen=True)
class Point:
    x: int
    y: int


def test_an_object_round_trips_when_allowed(
    registry: Registry, store: ObjectStore, pickle_options: MaterializeOptions
) -> None:
    artifact = registry.dump(Point(1, 2), store, pickle_options)
    assert artifact.materializer == "pickle"
    assert artifact.type == "test_pickles.Point"
    assert registry.load(artifact, store, pickle_options) == Point(1, 2)


def test_without_opt_in_no_materializer_takes_an_object(
    registry: Registry, store: ObjectStore
) -> None:
    with pytest.raises(NoMaterializerError, match=r"test_pickles\.Point.*allow_pickle = true"):
        registry.dump(Point(1, 2), store)


def test_without_opt_in_a_pickle_is_not_loaded(
    registry: Registry, store: ObjectStore, pickle_options: MaterializeOptions
) -> None:
    artifact = registry.dump(Point(1, 2), store, pickle_options)
    with pytest.raises(PickleNotAllowedError, match=f"artifact {artifact.oid} is a pickle"):
        registry.load(artifact, store)


def test_the_pickle_materializer_refuses_to_dump_without_opt_in(store: ObjectStore) -> None:
    with pytest.raises(PickleNotAllowedError, match="cannot dump a pickle"):
        PickleMaterializer().dump(Point(1, 2), store, MaterializeOptions())


def test_json_values_still_go_to_json(
    registry: Registry, pickle_options: MaterializeOptions
) -> None:
    assert registry.for_value({"a": [1]}, pickle_options).name == "json"


def test_a_tuple_is_pickled_when_allowed(
    registry: Registry, pickle_options: MaterializeOptions
) -> None:
    assert registry.for_value((1, 2), pickle_options).name == "pickle"


def test_the_same_object_gives_the_same_bytes(
    registry: Registry, store: ObjectStore, pickle_options: MaterializeOptions
) -> None:
    first = registry.dump(Point(3, 4), store, pickle_options)
    assert registry.dump(Point(3, 4), store, pickle_options).oid == first.oid


def test_an_unpicklable_value_is_refused(
    registry: Registry, store: ObjectStore, pickle_options: MaterializeOptions
) -> None:
    with pytest.raises(MaterializeError, match="'pickle': it cannot be pickled"):
        registry.dump(lambda: None, store, pickle_options)


def test_a_pickle_of_a_vanished_class_fails_with_the_artifact(
    registry: Registry, store: ObjectStore, pickle_options: MaterializeOptions
) -> None:
    # The same length as the real module name, so the pickle stays well-formed.
    data = pickle.dumps(Point(1, 2), protocol=5).replace(b"test_pickles", b"gone_pickles")
    artifact = Artifact(store.write(data), "blob", "pickle", "1", "gone_pickles.Point", len(data))
    with pytest.raises(ArtifactLoadError, match="No module named 'gone_pickles'"):
        registry.load(artifact, store, pickle_options)
