"""A bounded, safe look at a stored output, chosen by its materializer.

Bounded: a DataFrame shows its first rows and its schema, read from the
Parquet footer and first row group; text shows its first kilobytes; a tree
its first entries. Safe: nothing runs that the project has not allowed. A
model's class and parameters are read from the skops file's schema, so no
object is built; a pickle is loaded only where the project opted in.

Whatever is wrong with the stored data (an object not pulled yet, bytes a
reader refuses) becomes a one-line note in the preview, never an error.
Each reader catches what its library raises for such bytes around that
library's call alone, so that an error in repro's own code still surfaces.
"""

from __future__ import annotations

import codecs
import io
import json
import reprlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Final, Literal

from repro.errors import ReproError
from repro.lineage.records import ArtifactRecord
from repro.materialize.base import Artifact, MaterializeOptions
from repro.store import InvalidOidError, ObjectStore
from repro.views.formats import first_line, short_oid
from repro.views.skops_schema import field, node_text, param_names, read_schema

__all__ = [
    "CappedText",
    "DriftPreview",
    "EstimatorPreview",
    "FileEntry",
    "FilesPreview",
    "NotePreview",
    "Preview",
    "TablePreview",
    "TextPreview",
    "absent_note",
    "preview_artifact",
    "read_capped_text",
]

HEAD_ROWS: Final = 10
MAX_COLUMNS: Final = 40
MAX_CELL: Final = 120
TEXT_LIMIT: Final = 4096
JSON_LIMIT: Final = 16384
JSON_LOAD_LIMIT: Final = 256 * 1024
ARRAY_LOAD_LIMIT: Final = 1 << 20
BINARY_LIMIT: Final = 512
MAX_ENTRIES: Final = 20
PULL_HINT: Final = "repro pull"
# What pyarrow raises turning a Parquet file into pandas when the file's
# pandas metadata (a JSON document in its footer) is damaged: the
# conversion indexes into the document without checking its shape.
_PANDAS_METADATA_ERRORS: Final = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    NotImplementedError,
)


class _UnreadableError(ReproError, ValueError):
    """Stored bytes a reader refuses; ``reason``: why, in a line."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class CappedText:
    text: str
    truncated: bool  # only the first bytes are in ``text``


@dataclass(frozen=True)
class NotePreview:
    """No preview, and why (one line); ``hint``: a command that helps."""

    note: str
    hint: str | None = None
    kind: Literal["note"] = "note"


@dataclass(frozen=True)
class TablePreview:
    rows: int  # in the whole frame
    schema: tuple[tuple[str, str], ...]  # column -> dtype, every column
    columns: tuple[str, ...]  # the columns shown in ``head``
    head: tuple[tuple[str, ...], ...]
    kind: Literal["table"] = "table"


@dataclass(frozen=True)
class TextPreview:
    text: str
    format: Literal["json", "text", "hex", "array", "repr"]
    truncated: bool
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    oid: str


@dataclass(frozen=True)
class FilesPreview:
    tree: str
    count: int
    bytes: int
    entries: tuple[FileEntry, ...]  # the first ones, by path
    kind: Literal["files"] = "files"


@dataclass(frozen=True)
class EstimatorPreview:
    type: str  # module.Class
    params: tuple[tuple[str, str], ...]  # get_params(deep=False), as Python reprs
    kind: Literal["estimator"] = "estimator"


@dataclass(frozen=True)
class DriftPreview:
    drift: bool
    detector: str
    compared: int
    drifted_columns: tuple[str, ...]
    kind: Literal["drift"] = "drift"


Preview = NotePreview | TablePreview | TextPreview | FilesPreview | EstimatorPreview | DriftPreview
_Reader = Callable[[ObjectStore, ArtifactRecord, MaterializeOptions], Preview]


def preview_artifact(
    store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions
) -> Preview:
    """What ``artifact`` holds, bounded; a note when it cannot be shown."""
    reader = _READERS.get(artifact.materializer)
    if reader is None:
        return NotePreview(f"no preview for materializer {artifact.materializer!r}")
    if not _reads_version(artifact):
        return NotePreview(
            f"written by materializer {artifact.materializer!r} version {artifact.version}, "
            "newer than this repro reads; upgrade repro"
        )
    absent = absent_note(store, artifact.oid)
    if absent is not None:
        return absent
    try:
        return reader(store, artifact, options)
    except ReproError as exc:  # the store's, a materializer's or a reader's word on the data
        return NotePreview(f"no preview: {first_line(exc)}")


def absent_note(store: ObjectStore, oid: str) -> NotePreview | None:
    """Why object ``oid`` cannot be read from ``store``; None if it can."""
    try:
        if store.exists(oid):
            return None
    except InvalidOidError as exc:  # a record edited by hand, or damaged
        return NotePreview(f"no preview: {exc}")
    return NotePreview(f"object {short_oid(oid)} is not in the local store", hint=PULL_HINT)


def read_capped_text(store: ObjectStore, oid: str, limit: int) -> CappedText:
    """The first ``limit`` bytes of blob ``oid`` as text."""
    data = _head(store, oid, limit + 1)
    return CappedText(data[:limit].decode("utf-8", errors="replace"), len(data) > limit)


def _reads_version(artifact: ArtifactRecord) -> bool:
    from repro.materialize import default_registry

    return default_registry().by_name(artifact.materializer).reads(artifact.version)


def _head(store: ObjectStore, oid: str, limit: int) -> bytes:
    found = b""
    # Leaving the loop early drops the generator, which closes its file.
    for chunk in store.read_chunks(oid, verify=False):
        found += chunk
        if len(found) >= limit:
            break
    return found[:limit]


def _source(store: ObjectStore, oid: str) -> str | IO[bytes]:
    """The loose object's file, so a reader seeks to what it needs; a packed
    (small) object's bytes."""
    return store.local_path(oid) or io.BytesIO(store.read(oid))


def _table(store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions) -> Preview:
    parquet, head = _parquet_head(_source(store, artifact.oid))
    frame, types = _as_pandas(head)
    return TablePreview(
        rows=parquet.metadata.num_rows,
        schema=tuple((str(name), str(dtype)) for name, dtype in types.items()),
        columns=tuple(str(column) for column in frame.columns[:MAX_COLUMNS]),
        head=_cells(frame),
    )


def _parquet_head(source: str | IO[bytes]) -> tuple[Any, Any]:
    """The Parquet file at ``source`` and an Arrow table of its first rows,
    read from its footer and first row group only."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source)
        first = next(iter(parquet.iter_batches(batch_size=HEAD_ROWS)), None)
        batches = [first] if first is not None else []
        head = pa.Table.from_batches(batches, schema=parquet.schema_arrow)
        head.validate(full=True)  # now, not as pandas shows a string that is not UTF-8
        return parquet, head
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        # Not a Parquet file, or a damaged one (a column name that is not UTF-8, say).
        raise _UnreadableError(first_line(exc)) from exc


def _as_pandas(head: Any) -> tuple[Any, Any]:
    """``head`` as a DataFrame of at most ``HEAD_ROWS`` rows, and the dtypes
    of every column, as pandas reads them."""
    import pandas as pd
    import pyarrow as pa

    try:
        frame = head.to_pandas().head(HEAD_ROWS)
        types = head.schema.empty_table().to_pandas().dtypes
    except (pa.ArrowException, *_PANDAS_METADATA_ERRORS) as exc:
        raise _UnreadableError(first_line(exc)) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        # An index that means something is shown as columns, even one named as a column is.
        frame = frame.reset_index(allow_duplicates=True)
    return frame, types


def _cells(frame: Any) -> tuple[tuple[str, ...], ...]:
    return tuple(
        tuple(_cell(value) for value in row[:MAX_COLUMNS])
        for row in frame.itertuples(index=False, name=None)
    )


def _cell(value: object) -> str:
    text = str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _json(store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions) -> Preview:
    from repro.hashing import canonical_loads

    if artifact.size > JSON_LOAD_LIMIT:
        return _capped(store, artifact, JSON_LIMIT, "json")
    pretty = json.dumps(
        canonical_loads(store.read(artifact.oid)), indent=2, sort_keys=True, ensure_ascii=False
    )
    return TextPreview(pretty[:JSON_LIMIT], "json", len(pretty) > JSON_LIMIT)


def _capped(
    store: ObjectStore, artifact: ArtifactRecord, limit: int, form: Literal["json", "text"]
) -> TextPreview:
    capped = read_capped_text(store, artifact.oid, limit)
    return TextPreview(capped.text, form, capped.truncated)


def _text(store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions) -> Preview:
    return _capped(store, artifact, TEXT_LIMIT, "text")


def _bytes(store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions) -> Preview:
    data = _head(store, artifact.oid, TEXT_LIMIT)
    # Incremental: a character cut at the limit is not a reason to call it binary.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return TextPreview(decoder.decode(data), "text", artifact.size > TEXT_LIMIT)
    except UnicodeDecodeError:
        return _hex(data, artifact.size)


def _hex(data: bytes, size: int) -> TextPreview:
    data = data[:BINARY_LIMIT]
    rows = (f"{at:08x}  {data[at : at + 16].hex(' ')}" for at in range(0, len(data), 16))
    return TextPreview("\n".join(rows), "hex", size > BINARY_LIMIT)


def _array(store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions) -> Preview:
    from tokenize import TokenError  # numpy's, for a header that does not parse

    import numpy as np

    source = _source(store, artifact.oid)
    mapped: Literal["r"] | None = (
        "r" if isinstance(source, str) and artifact.size > ARRAY_LOAD_LIMIT else None
    )
    try:
        array = np.load(source, mmap_mode=mapped, allow_pickle=False)
    except (ValueError, EOFError, OSError, TokenError) as exc:  # not a .npy file, or damaged
        raise _UnreadableError(first_line(exc)) from exc
    shown = np.array2string(array, threshold=100, edgeitems=3)
    return TextPreview(f"shape {array.shape}, dtype {array.dtype}\n{shown}", "array", False)


def _files(store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions) -> Preview:
    from repro.store import read_tree

    tree = read_tree(store, artifact.oid)
    entries = tuple(FileEntry(e.path, e.size, e.oid) for e in tree.entries[:MAX_ENTRIES])
    return FilesPreview(artifact.oid, len(tree), tree.size, entries)


def _estimator(
    store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions
) -> Preview:
    from repro.materialize.estimators import trustworthy

    schema = read_schema(_source(store, artifact.oid))
    name = f"{field(schema, '__module__', str)}.{field(schema, '__class__', str)}"
    state = field(schema, "content", dict)
    if state.get("__loader__") != "DictNode":
        return NotePreview(f"a {name}; its parameters are not in a form this repro reads")
    if not trustworthy(name):
        return NotePreview(f"a {name}: not a class from scikit-learn, numpy or scipy")
    values = field(state, "content", dict)
    params = tuple((p, node_text(field(values, p, dict))) for p in param_names(name) if p in values)
    return EstimatorPreview(name, params)


def _loaded(store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions) -> object:
    from repro.materialize import load

    return load(Artifact.from_dict(artifact.model_dump()), store, options)


def _drift(store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions) -> Preview:
    from repro.drift.report import DriftReport

    report = _loaded(store, artifact, options)
    assert isinstance(report, DriftReport)  # the only type its materializer loads
    return DriftPreview(report.drift, report.detector, len(report.columns), report.drifted_columns)


def _pickle(store: ObjectStore, artifact: ArtifactRecord, options: MaterializeOptions) -> Preview:
    if not options.allow_pickle:
        return NotePreview(
            "a pickle: loading one runs code, and this project does not allow it "
            "(allow_pickle under [materialize] in .repro/config.toml)"
        )
    shown = reprlib.Repr()
    shown.maxother = shown.maxstring = shown.maxlong = JSON_LIMIT
    return TextPreview(shown.repr(_loaded(store, artifact, options)), "repr", False)


_READERS: Final[dict[str, _Reader]] = {
    "pandas.parquet": _table,
    "json": _json,
    "text": _text,
    "bytes": _bytes,
    "numpy.npy": _array,
    "file": _files,
    "path": _files,
    "sklearn.skops": _estimator,
    "drift.report": _drift,
    "pickle": _pickle,
}
