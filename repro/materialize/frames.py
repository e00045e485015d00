"""pandas DataFrames (and Series, as a one-column frame) as Parquet bytes.

Written with pyarrow directly, every option that shapes the bytes pinned
rather than left to a library default that may change: the same frame gives
the same bytes in every process. The file records the pyarrow and pandas
versions (Parquet's ``created_by`` and the pandas schema metadata), so the
bytes are stable for a given environment, which the run record pins.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from repro.hashing import canonical_dumps, canonical_loads
from repro.materialize.base import BytesMaterializer, defined_in

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PARQUET_OPTIONS", "ParquetMaterializer"]

# Defaults of pyarrow 26, written out so that a new default cannot change
# the bytes of an unchanged frame. Snappy: the most widely read codec, with
# no level to drift.
PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "snappy",
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 1 << 20,
    "data_page_size": 1 << 20,
    "data_page_version": "1.0",
    "store_schema": True,
    "write_page_index": False,
    "write_page_checksum": False,
    "use_compliant_nested_type": True,
}
# Schema metadata that marks a stored Series (and whether it had a name,
# which a one-column frame cannot tell from a column named 0).
_SERIES_KEY = b"repro.series"


class ParquetMaterializer(BytesMaterializer):
    name = "pandas.parquet"
    version = "1"

    def handles(self, value: object) -> bool:
        if not defined_in(value, "pandas"):
            return False  # pandas is not imported for a value that is not pandas'
        import pandas as pd

        return isinstance(value, pd.DataFrame | pd.Series)

    def to_bytes(self, value: object) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = _to_table(value)
            buffer = io.BytesIO()
            pq.write_table(table, buffer, **PARQUET_OPTIONS)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise self.refuse(value, f"pyarrow cannot write it as Parquet ({exc})") from exc
        return buffer.getvalue()

    def from_bytes(self, data: bytes) -> object:
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data))
        frame = table.to_pandas()
        marker = (table.schema.metadata or {}).get(_SERIES_KEY)
        if marker is None:
            return frame
        series = frame.iloc[:, 0]
        if not canonical_loads(marker)["named"]:
            series.name = None
        return series


def _to_table(value: object) -> Any:
    """The Arrow table of a frame, or of a Series as its one column."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(value, pd.DataFrame):
        return pa.Table.from_pandas(value, preserve_index=None)
    assert isinstance(value, pd.Series)
    frame: pd.DataFrame = value.to_frame()
    table = pa.Table.from_pandas(frame, preserve_index=None)
    marker = canonical_dumps({"named": value.name is not None})
    return table.replace_schema_metadata({**(table.schema.metadata or {}), _SERIES_KEY: marker})
