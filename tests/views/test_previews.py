"""Previews of stored outputs, by materializer: bounded, loaded only as the
project allows, and a note instead of an error for anything unreadable."""

from __future__ import annotations

import fractions
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.base import BaseEstimator
from sklearn.ensemble import BaggingRegressor
from sklearn.linear_model import LinearRegression
from ui_testing import Quickstart

from repro.lineage.records import ArtifactRecord
from repro.lineage.runs import RunIndex
from repro.materialize import MaterializeOptions, dump, load
from repro.materialize.base import Artifact
from repro.store import ObjectStore, open_backend
from repro.views import previews
from repro.views.previews import (
    JSON_LIMIT,
    DriftPreview,
    EstimatorPreview,
    FilesPreview,
    NotePreview,
    Preview,
    TablePreview,
    TextPreview,
    preview_artifact,
    read_capped_text,
)

OPTIONS = MaterializeOptions()
PICKLES = MaterializeOptions(allow_pickle=True)


class HomeMade(BaseEstimator):  # type: ignore[misc]
    """An estimator of a class outside scikit-learn, numpy and scipy."""

    def __init__(self, depth: int = 3) -> None:
        self.depth = depth


class Trap:
    """Unpickling it creates a file: proof that a pickle was loaded."""

    marker = ""

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path(self.marker),))


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(open_backend(str(tmp_path / "store"), fsync=False), "xxh3-128")


def _stored(store: ObjectStore, value: object, options: MaterializeOptions = OPTIONS) -> Any:
    return ArtifactRecord(**dump(value, store, options).to_dict())


def _preview(store: ObjectStore, value: object) -> Any:
    return preview_artifact(store, _stored(store, value), OPTIONS)


def _blob(store: ObjectStore, data: bytes, materializer: str, version: str = "1") -> Any:
    return ArtifactRecord(
        oid=store.write(data),
        kind="blob",
        materializer=materializer,
        version=version,
        type="builtins.bytes",
        size=len(data),
    )


def _quickstart_output(quickstart: Quickstart, step: str) -> ArtifactRecord:
    record = RunIndex(quickstart.project.repro_dir).load(quickstart.retrain)
    return record.steps[step].outputs["output"]


def test_a_frame_shows_its_first_rows_and_its_schema(ui_quickstart: Quickstart) -> None:
    store = ui_quickstart.project.store()
    artifact = _quickstart_output(ui_quickstart, "ingest_data")
    preview = preview_artifact(store, artifact, OPTIONS)
    frame: Any = load(Artifact.from_dict(artifact.model_dump()), store)
    assert isinstance(preview, TablePreview)
    assert preview.rows == len(frame) == 600
    assert preview.schema == tuple((name, "float64") for name in frame.columns)
    assert preview.head == tuple(
        tuple(str(value) for value in row) for row in frame.head(10).itertuples(index=False)
    )


def test_a_frame_with_a_meaningful_index_shows_it_as_columns(store: ObjectStore) -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], name="key"))
    preview = _preview(store, frame)
    assert preview.columns == ("key", "a")
    assert preview.head == (("x", "1"), ("y", "2"))


def test_a_long_frame_shows_ten_rows(store: ObjectStore) -> None:
    preview = _preview(store, pd.DataFrame({"n": range(1000)}))
    assert (preview.rows, len(preview.head)) == (1000, 10)


def test_a_wide_frame_shows_forty_columns_and_the_whole_schema(store: ObjectStore) -> None:
    preview = _preview(store, pd.DataFrame({f"c{i}": [i] for i in range(50)}))
    assert (len(preview.columns), len(preview.head[0]), len(preview.schema)) == (40, 40, 50)


def test_a_long_cell_is_cut(store: ObjectStore) -> None:
    preview = _preview(store, pd.DataFrame({"text": ["x" * 500]}))
    assert preview.head[0][0] == "x" * 119 + "…"


def test_a_json_value_is_pretty_canonical_json(store: ObjectStore) -> None:
    preview = _preview(store, {"b": 1, "a": [1, 2]})
    assert preview == TextPreview('{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}', "json", False)


def test_a_metric_value_is_its_json(store: ObjectStore) -> None:
    assert _preview(store, 11.25) == TextPreview("11.25", "json", False)


def test_a_large_json_value_is_cut(store: ObjectStore) -> None:
    preview = _preview(store, list(range(100_000)))
    assert preview.truncated and len(preview.text) <= JSON_LIMIT


def test_text_shows_its_first_kilobytes(store: ObjectStore) -> None:
    preview = _preview(store, "é" + "x" * 10_000)
    assert preview.format == "text" and preview.truncated
    assert preview.text == "é" + "x" * 4094


def test_bytes_that_are_not_text_show_as_hex(store: ObjectStore) -> None:
    preview = _preview(store, bytes(range(256)) * 4)
    assert preview.format == "hex" and preview.truncated
    lines = preview.text.splitlines()
    assert lines[0] == "00000000  " + " ".join(f"{i:02x}" for i in range(16))
    assert len(lines) == 32


def test_bytes_that_are_text_show_as_text(store: ObjectStore) -> None:
    assert _preview(store, b"hello") == TextPreview("hello", "text", False)


def test_text_bytes_cut_inside_a_character_are_still_text(store: ObjectStore) -> None:
    preview = _preview(store, b"a" + "é".encode() * 3000)
    assert preview.format == "text" and preview.text == "a" + "é" * 2047


def test_an_array_shows_its_shape_and_dtype(store: ObjectStore) -> None:
    preview = _preview(store, np.arange(12, dtype=np.int64).reshape(3, 4))
    assert preview.format == "array"
    assert preview.text.splitlines()[0] == "shape (3, 4), dtype int64"


def test_a_folder_shows_its_file_count_and_first_files(store: ObjectStore, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    for i in range(25):
        (folder / f"f{i:02}.txt").write_text("x" * i)
    preview = _preview(store, folder)
    assert isinstance(preview, FilesPreview)
    assert (preview.count, preview.bytes) == (25, sum(range(25)))
    assert [entry.path for entry in preview.entries] == [f"f{i:02}.txt" for i in range(20)]


def test_an_estimator_shows_its_class_and_parameters(store: ObjectStore) -> None:
    model = LinearRegression(fit_intercept=False).fit([[0.0], [1.0]], [0.0, 2.0])
    preview = _preview(store, model)
    assert preview == EstimatorPreview(
        "sklearn.linear_model._base.LinearRegression",
        tuple(sorted((name, repr(value)) for name, value in model.get_params().items())),
    )


def test_an_estimator_inside_an_estimator_shows_as_its_class(store: ObjectStore) -> None:
    model = BaggingRegressor(LinearRegression(), n_estimators=2, random_state=0)
    preview = _preview(store, model.fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0]))
    assert dict(preview.params)["estimator"] == "<LinearRegression>"


def test_an_estimator_of_a_class_repro_does_not_trust_is_not_read(store: ObjectStore) -> None:
    artifact = _stored(store, HomeMade(), PICKLES)
    preview = preview_artifact(store, artifact, OPTIONS)
    assert preview == NotePreview(
        "a test_previews.HomeMade: not a class from scikit-learn, numpy or scipy"
    )


def test_a_drift_report_shows_its_verdict_and_drifted_columns(
    ui_quickstart: Quickstart,
) -> None:
    artifact = _quickstart_output(ui_quickstart, "check_drift")
    preview = preview_artifact(ui_quickstart.project.store(), artifact, OPTIONS)
    assert preview == DriftPreview(True, "statistical", 5, ("income", "price"))


def test_a_pickle_is_not_loaded_unless_the_project_allows_it(
    store: ObjectStore, tmp_path: Path
) -> None:
    trap = Trap()
    trap.marker = str(tmp_path / "unpickled")
    preview = preview_artifact(store, _stored(store, trap, PICKLES), OPTIONS)
    assert isinstance(preview, NotePreview) and "allow_pickle" in preview.note
    assert not (tmp_path / "unpickled").exists()


def test_a_pickle_is_shown_where_the_project_allows_it(store: ObjectStore) -> None:
    artifact = _stored(store, fractions.Fraction(1, 3), PICKLES)
    assert preview_artifact(store, artifact, PICKLES) == TextPreview(
        "Fraction(1, 3)", "repr", False
    )


def test_an_object_not_in_the_local_store_says_to_pull(store: ObjectStore) -> None:
    artifact = _blob(store, b"x", "text").model_copy(update={"oid": "ab" * 16})
    assert preview_artifact(store, artifact, OPTIONS) == NotePreview(
        "object abababababab is not in the local store", hint="repro pull"
    )


@pytest.mark.parametrize(
    "materializer", ["pandas.parquet", "json", "sklearn.skops", "drift.report", "numpy.npy"]
)
def test_bytes_a_reader_refuses_give_a_one_line_note(store: ObjectStore, materializer: str) -> None:
    preview: Preview = preview_artifact(store, _blob(store, b"\x00not it", materializer), OPTIONS)
    assert isinstance(preview, NotePreview) and preview.note.startswith("no preview: ")
    assert "\n" not in preview.note


def test_a_materializer_this_process_does_not_know_has_no_preview(store: ObjectStore) -> None:
    preview = preview_artifact(store, _blob(store, b"x", "torch.tensor"), OPTIONS)
    assert preview == NotePreview("no preview for materializer 'torch.tensor'")


def test_a_newer_format_version_says_to_upgrade(store: ObjectStore) -> None:
    preview = preview_artifact(store, _blob(store, b"1", "json", version="9"), OPTIONS)
    assert isinstance(preview, NotePreview) and preview.note.endswith("upgrade repro")


def test_capped_text_stops_at_the_limit(store: ObjectStore) -> None:
    oid = store.write(b"abcdef")
    assert read_capped_text(store, oid, 4).text == "abcd"
    assert read_capped_text(store, oid, 4).truncated
    assert not read_capped_text(store, oid, 6).truncated


def test_an_id_that_is_not_an_object_id_gives_a_note(store: ObjectStore) -> None:
    artifact = _blob(store, b"x", "text").model_copy(update={"oid": "../../etc/passwd"})
    preview = preview_artifact(store, artifact, OPTIONS)
    assert isinstance(preview, NotePreview) and preview.note.startswith("no preview: ")


# What the stored data can hold that a reader refuses: a note, each kind.


def _damaged(store: ObjectStore, artifact: ArtifactRecord, at: int | None = None) -> ArtifactRecord:
    """``artifact`` with one byte of its stored object (the middle one, or
    the one ``at``) flipped in place."""
    found = store.local_path(artifact.oid)
    assert found is not None
    path = Path(found)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if at is None else at] ^= 0xFF
    path.write_bytes(bytes(data))
    return artifact


def _note(
    store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions = OPTIONS
) -> str:
    preview = preview_artifact(store, artifact, options)
    assert isinstance(preview, NotePreview), preview
    assert "\n" not in preview.note
    return preview.note


def _parquet(store: ObjectStore, table: pa.Table) -> ArtifactRecord:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return _blob(store, buffer.getvalue(), "pandas.parquet")


def _skops(store: ObjectStore, entries: dict[str, bytes]) -> ArtifactRecord:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return _blob(store, buffer.getvalue(), "sklearn.skops")


def _skops_schema(store: ObjectStore, model: BaseEstimator) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(store.read(_stored(store, model).oid))) as archive:
        schema: dict[str, Any] = json.loads(archive.read("schema.json"))
    return schema


def test_a_corrupt_object_gives_the_stores_note(store: ObjectStore) -> None:
    artifact = _damaged(store, _stored(store, {"a": "b" * 100}))
    assert re.match(rf"no preview: object {artifact.oid} is corrupt: ", _note(store, artifact))


def test_a_damaged_parquet_file_gives_a_note(store: ObjectStore) -> None:
    artifact = _damaged(store, _stored(store, pd.DataFrame({"n": range(1000)})), at=-1)
    assert _note(store, artifact).startswith("no preview: Parquet magic bytes not found")


def test_a_parquet_file_cut_short_gives_a_note(store: ObjectStore) -> None:
    data = store.read(_stored(store, pd.DataFrame({"n": range(10)})).oid)
    artifact = _blob(store, data[:-20], "pandas.parquet")
    assert _note(store, artifact).startswith("no preview: ")


@pytest.mark.parametrize(
    "metadata", [b"{not json", b'{"columns": 5}', b'{"index_columns": [{"kind": "range"}]}']
)
def test_a_parquet_file_with_damaged_pandas_metadata_gives_a_note(
    store: ObjectStore, metadata: bytes
) -> None:
    table = pa.Table.from_pandas(pd.DataFrame({"n": [1, 2]}))
    artifact = _parquet(store, table.replace_schema_metadata({b"pandas": metadata}))
    assert _note(store, artifact).startswith("no preview: ")


def test_a_parquet_string_that_is_not_utf8_gives_a_note(store: ObjectStore) -> None:
    offsets = pa.py_buffer(np.array([0, 1], dtype=np.int32).tobytes())
    text = pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(b"\xff")])
    assert "Invalid UTF8 sequence" in _note(store, _parquet(store, pa.table({"s": text})))


def test_a_frame_with_an_index_named_as_a_column_shows_both(store: ObjectStore) -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=pd.Index([5, 6], name="a"))
    preview = _preview(store, frame)
    assert preview.columns == ("a", "a")
    assert preview.head == (("5", "1"), ("6", "2"))


def test_a_file_that_is_not_a_zip_is_not_a_skops_file(store: ObjectStore) -> None:
    artifact = _blob(store, b"PK not a zip", "sklearn.skops")
    assert _note(store, artifact) == "no preview: not a skops file (File is not a zip file)"


def test_a_damaged_skops_file_gives_a_note(store: ObjectStore) -> None:
    artifact = _damaged(store, _stored(store, LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])))
    assert _note(store, artifact).startswith("no preview: not a skops file (")


def test_a_zip_without_a_schema_is_not_a_skops_file(store: ObjectStore) -> None:
    note = _note(store, _skops(store, {"other.json": b"{}"}))
    assert note.startswith("no preview: not a skops file (") and "schema.json" in note


def test_a_zip_whose_compression_zipfile_lacks_is_not_a_skops_file(store: ObjectStore) -> None:
    data = bytearray(store.read(_skops(store, {"schema.json": b"{}"}).oid))
    # The compression method (0: stored) in the local header and in the central directory.
    for header in (b"PK\x03\x04", b"PK\x01\x02"):
        at = data.index(header) + (8 if header == b"PK\x03\x04" else 10)
        data[at : at + 2] = (99).to_bytes(2, "little")
    note = _note(store, _blob(store, bytes(data), "sklearn.skops"))
    assert note == "no preview: not a skops file (That compression method is not supported)"


@pytest.mark.parametrize("schema", [b"{not json", b"\xff\xfe{}", b"[1, 2]"])
def test_a_schema_that_is_no_json_object_gives_a_note(store: ObjectStore, schema: bytes) -> None:
    assert _note(store, _skops(store, {"schema.json": schema})).startswith("no preview: ")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("__module__",), None, "the skops schema has no '__module__' of type str"),
        (("content",), [], "the skops schema has no 'content' of type dict"),
        (("content", "content"), 5, "the skops schema has no 'content' of type dict"),
        (("content", "content", "fit_intercept"), "x", "no 'fit_intercept' of type dict"),
        (("content", "content", "fit_intercept", "content"), 1, "no 'content' of type str"),
        (("content", "content", "fit_intercept", "content"), "{", "not a skops schema ("),
    ],
)
def test_a_schema_missing_a_field_gives_a_note(
    store: ObjectStore, path: tuple[str, ...], value: Any, message: str
) -> None:
    schema = _skops_schema(store, LinearRegression())
    node = schema
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    artifact = _skops(store, {"schema.json": json.dumps(schema).encode()})
    assert message in _note(store, artifact)


def _npy(header: bytes) -> bytes:
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


@pytest.mark.parametrize(
    "data",
    [
        _npy(b"{'descr': '<f8', 'fortran_order': False, 'shape': (6, \n"),  # a TokenError
        _npy(b"{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }\n")[:-1],
        _npy(b"{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }\n") + b"\x00" * 8,
    ],
    ids=["header-does-not-parse", "header-cut-short", "data-cut-short"],
)
def test_a_damaged_npy_file_gives_a_note(store: ObjectStore, data: bytes) -> None:
    assert _note(store, _blob(store, data, "numpy.npy")).startswith("no preview: ")


def test_a_blob_that_is_not_a_tree_gives_a_note(store: ObjectStore) -> None:
    artifact = _blob(store, b"not a manifest", "path").model_copy(update={"kind": "tree"})
    assert _note(store, artifact).startswith("no preview: ")


def test_a_blob_that_is_not_a_drift_report_gives_a_note(store: ObjectStore) -> None:
    assert _note(store, _blob(store, b'{"a": 1}', "drift.report")).startswith("no preview: ")


def test_a_pickle_that_does_not_load_gives_a_note(store: ObjectStore) -> None:
    note = _note(store, _blob(store, b"\x80\x05not a pickle", "pickle"), PICKLES)
    assert note.startswith("no preview: ")


# A bug in repro is not the stored data's fault: it surfaces.


@pytest.mark.parametrize(
    "error", [TypeError, AttributeError, KeyError, IndexError, NotImplementedError, ValueError]
)
def test_an_error_in_a_reader_propagates(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    def broken(*args: object) -> Preview:
        raise error("a bug")

    monkeypatch.setitem(previews._READERS, "json", broken)
    with pytest.raises(error, match="a bug"):
        _preview(store, {"a": 1})


@pytest.mark.parametrize(
    ("helper", "value"),
    [
        ("_cell", pd.DataFrame({"n": [1]})),
        ("param_names", LinearRegression()),
        ("_hex", bytes(range(256))),
    ],
)
def test_an_error_in_a_readers_own_code_propagates(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch, helper: str, value: object
) -> None:
    """Each reader catches its library's errors around that library's call
    alone, not around repro's code that uses the result."""

    def broken(*args: object) -> Any:
        raise TypeError("a bug")

    monkeypatch.setattr(previews, helper, broken)
    with pytest.raises(TypeError, match="a bug"):
        _preview(store, value)
