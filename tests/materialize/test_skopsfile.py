"""The canonical form of skops files."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import scipy.sparse
import skops.io
from sklearn.neighbors import KNeighborsClassifier

from repro.materialize.skopsfile import SCHEMA_NAME, UnexpectedEntryError, canonical_skops

_X = np.random.RandomState(1).rand(30, 3)
_LABELS = (_X.sum(axis=1) > 1.5).astype(int)


def _entries(data: bytes) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.infolist()


def _schema(data: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read(SCHEMA_NAME))
    assert isinstance(schema, dict)
    return schema


def _sparse_model() -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=3).fit(scipy.sparse.csr_matrix(_X), _LABELS)


def test_skops_itself_is_not_deterministic() -> None:
    model = _sparse_model()
    assert skops.io.dumps(model) != skops.io.dumps(model)


def test_two_dumps_become_one() -> None:
    model = _sparse_model()
    assert canonical_skops(skops.io.dumps(model)) == canonical_skops(skops.io.dumps(model))


def test_canonical_is_a_fixed_point() -> None:
    data = canonical_skops(skops.io.dumps(_sparse_model()))
    assert canonical_skops(data) == data


def test_entries_are_sorted_stamped_and_stored() -> None:
    infos = _entries(canonical_skops(skops.io.dumps(_sparse_model())))
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}


def test_a_sparse_matrix_file_is_canonical_too() -> None:
    data = canonical_skops(skops.io.dumps(_sparse_model()))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        npz = [archive.read(n) for n in archive.namelist() if n.endswith(".npz")]
    assert npz
    assert {info.date_time for info in _entries(npz[0])} == {(1980, 1, 1, 0, 0, 0)}


def test_ids_are_renumbered_from_one() -> None:
    schema = _schema(canonical_skops(skops.io.dumps(_sparse_model())))
    assert schema["__id__"] == 1


def test_sets_are_sorted() -> None:
    value = {"gamma", "alpha", "beta", "delta"}
    schema = _schema(canonical_skops(skops.io.dumps(value)))
    content = schema["content"]
    assert isinstance(content, list)
    assert [json.loads(item["content"]) for item in content] == ["alpha", "beta", "delta", "gamma"]


def test_the_canonical_file_loads() -> None:
    model = _sparse_model()
    data = canonical_skops(skops.io.dumps(model))
    loaded = skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))
    np.testing.assert_array_equal(loaded.predict(_X), model.predict(_X))


def test_an_entry_the_schema_does_not_name_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(SCHEMA_NAME, json.dumps(skops_schema_of_int()))
        archive.writestr("stray.bin", b"?")
    with pytest.raises(UnexpectedEntryError, match=r"'stray\.bin'"):
        canonical_skops(buffer.getvalue())


def skops_schema_of_int() -> object:
    return _schema(skops.io.dumps(3))
