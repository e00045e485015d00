"""Previews of stored outputs, by materializer: bounded, loaded only as the
project allows, and a note instead of an error for anything unreadable."""

from __future__ import annotations

import fractions
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
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
