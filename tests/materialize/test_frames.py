"""pandas.parquet: data frames and series."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from materialize_testing import oid_in_fresh_process

from repro.materialize import MaterializeError, Registry, dump
from repro.store import ObjectStore

_FRAME_CODE = """
import pandas as pd

value = pd.DataFrame(
    {
        "n": [3, 1, 2],
        "x": [0.5, None, 2.25],
        "s": ["b", "a", None],
        "c": pd.Categorical(["u", "v", "u"]),
        "t": pd.to_datetime(["2024-01-01", "2024-02-29", None]),
        "flag": [True, False, True],
    },
    index=pd.Index([10, 20, 30], name="row"),
)
value.attrs["source"] = "test"
"""


def _frame() -> pd.DataFrame:
    scope: dict[str, object] = {}
    exec(_FRAME_CODE, scope)
    frame = scope["value"]
    assert isinstance(frame, pd.DataFrame)
    return frame


def test_a_frame_round_trips(registry: Registry, store: ObjectStore) -> None:
    frame = _frame()
    loaded = registry.load(registry.dump(frame, store), store)
    assert isinstance(loaded, pd.DataFrame)
    pd.testing.assert_frame_equal(loaded, frame)


def test_attrs_round_trip(registry: Registry, store: ObjectStore) -> None:
    loaded = registry.load(registry.dump(_frame(), store), store)
    assert isinstance(loaded, pd.DataFrame)
    assert loaded.attrs == {"source": "test"}


def test_the_artifact_names_parquet(registry: Registry, store: ObjectStore) -> None:
    artifact = registry.dump(_frame(), store)
    assert (artifact.materializer, artifact.type, artifact.kind) == (
        "pandas.parquet",
        "pandas.DataFrame",
        "blob",
    )


def test_the_bytes_are_parquet(registry: Registry, store: ObjectStore) -> None:
    data = store.read(registry.dump(_frame(), store).oid)
    assert pq.read_metadata(io.BytesIO(data)).num_rows == 3


def test_the_compression_is_pinned(registry: Registry, store: ObjectStore) -> None:
    data = store.read(registry.dump(_frame(), store).oid)
    assert pq.read_metadata(io.BytesIO(data)).row_group(0).column(0).compression == "SNAPPY"


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(),
        pd.DataFrame({"a": []}),
        pd.DataFrame(np.arange(6).reshape(2, 3)),
        pd.DataFrame({"a": [1, 2]}, index=pd.MultiIndex.from_tuples([("x", 1), ("y", 2)])),
        pd.DataFrame({"a": [1, 2]}, index=pd.RangeIndex(5, 9, 2)),
    ],
    ids=["empty", "no-rows", "int-columns", "multi-index", "range-index"],
)
def test_frame_shapes_round_trip(
    registry: Registry, store: ObjectStore, frame: pd.DataFrame
) -> None:
    loaded = registry.load(registry.dump(frame, store), store)
    assert isinstance(loaded, pd.DataFrame)
    pd.testing.assert_frame_equal(loaded, frame)


@pytest.mark.parametrize("name", ["price", None, 0])
def test_a_series_round_trips(registry: Registry, store: ObjectStore, name: object) -> None:
    series = pd.Series([1.5, 2.5, None], index=["a", "b", "c"], name=name)
    artifact = registry.dump(series, store)
    loaded = registry.load(artifact, store)
    assert artifact.type == "pandas.Series"
    assert isinstance(loaded, pd.Series)
    pd.testing.assert_series_equal(loaded, series)


def test_the_same_frame_twice_gives_the_same_bytes(registry: Registry, store: ObjectStore) -> None:
    assert registry.dump(_frame(), store).oid == registry.dump(_frame(), store).oid


def test_a_different_frame_gives_other_bytes(registry: Registry, store: ObjectStore) -> None:
    other = _frame()
    other.loc[10, "x"] = 0.75
    assert registry.dump(other, store).oid != registry.dump(_frame(), store).oid


def test_fresh_processes_give_the_same_oid(store: ObjectStore, tmp_path: Path) -> None:
    here = dump(_frame(), store).oid
    first = oid_in_fresh_process(_FRAME_CODE, tmp_path / "a", hash_seed=1)
    second = oid_in_fresh_process(_FRAME_CODE, tmp_path / "b", hash_seed=2)
    assert first == second == here


def test_a_mixed_object_column_is_refused(registry: Registry, store: ObjectStore) -> None:
    frame = pd.DataFrame({"a": pd.Series([1, "x"], dtype=object)})
    with pytest.raises(MaterializeError, match=r"'pandas\.parquet': pyarrow cannot write it"):
        registry.dump(frame, store)
