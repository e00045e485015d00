"""numpy.npy: arrays and numpy scalars."""

from __future__ import annotations

import numpy as np
import pytest

from repro.materialize import MaterializeError, MaterializeOptions, NoMaterializerError, Registry
from repro.store import ObjectStore

_ARRAYS = [
    np.arange(12, dtype=np.float32).reshape(3, 4),
    np.asfortranarray(np.arange(6).reshape(2, 3)),
    np.array([True, False]),
    np.array(["a", "bcd"]),
    np.array(["2020-01-01", "2021-06-30"], dtype="datetime64[D]"),
    np.array([(1, 2.5)], dtype=[("n", "i4"), ("x", "f8")]),
    np.zeros((0, 3)),
    np.array(5),
]


@pytest.mark.parametrize("array", _ARRAYS, ids=lambda a: f"{a.dtype}-{a.shape}")
def test_arrays_round_trip(registry: Registry, store: ObjectStore, array: np.ndarray) -> None:
    artifact = registry.dump(array, store)
    loaded = registry.load(artifact, store)
    assert isinstance(loaded, np.ndarray)
    assert loaded.dtype == array.dtype
    np.testing.assert_array_equal(loaded, array)


def test_array_artifact_names_npy(registry: Registry, store: ObjectStore) -> None:
    artifact = registry.dump(np.ones(3), store)
    assert (artifact.materializer, artifact.type, artifact.kind) == (
        "numpy.npy",
        "numpy.ndarray",
        "blob",
    )


def test_array_bytes_are_an_npy_file(registry: Registry, store: ObjectStore) -> None:
    artifact = registry.dump(np.ones(3), store)
    assert store.read(artifact.oid).startswith(b"\x93NUMPY")


def test_equal_arrays_give_one_oid(registry: Registry, store: ObjectStore) -> None:
    first = registry.dump(np.arange(10.0), store)
    second = registry.dump(np.linspace(0.0, 9.0, 10), store)
    assert first.oid == second.oid


def test_a_view_gives_the_oid_of_its_copy(registry: Registry, store: ObjectStore) -> None:
    base = np.arange(20).reshape(4, 5)
    assert registry.dump(base[::2, 1:], store).oid == registry.dump(base[::2, 1:].copy(), store).oid


@pytest.mark.parametrize(
    "scalar", [np.float64(1.5), np.float32(-2.0), np.int64(7), np.uint8(255), np.bool_(True)]
)
def test_scalars_keep_their_type(
    registry: Registry, store: ObjectStore, scalar: np.generic
) -> None:
    artifact = registry.dump(scalar, store)
    loaded = registry.load(artifact, store)
    assert type(loaded) is type(scalar)
    assert loaded == scalar
    assert artifact.materializer == "numpy.npy"


def test_a_0d_array_stays_an_array(registry: Registry, store: ObjectStore) -> None:
    loaded = registry.load(registry.dump(np.array(3.5), store), store)
    assert isinstance(loaded, np.ndarray)
    assert loaded.shape == ()


def test_object_dtype_is_refused(registry: Registry, store: ObjectStore) -> None:
    with pytest.raises(MaterializeError, match="dtype object holds Python objects"):
        registry.dump(np.array([{"a": 1}, None], dtype=object), store)


def test_object_fields_are_refused(registry: Registry, store: ObjectStore) -> None:
    array = np.zeros(2, dtype=[("name", object), ("x", "f8")])
    with pytest.raises(MaterializeError, match="holds Python objects"):
        registry.dump(array, store)


def test_a_masked_array_is_not_handled(registry: Registry) -> None:
    masked = np.ma.masked_array([1, 2], mask=[True, False])
    with pytest.raises(NoMaterializerError, match=r"a numpy\.ma\.MaskedArray, which"):
        registry.for_value(masked, MaterializeOptions())
