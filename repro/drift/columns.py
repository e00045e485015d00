"""Which columns two frames compare, and as what: checked before any test
runs, so that a bad input fails with the column named.

Numeric: integer and float dtypes (pandas' nullable ones too). Categorical:
object, string, category and bool columns. Anything else (dates, times,
complex numbers) is refused. Missing values are left out of every test.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from repro.drift.errors import (
    ColumnMismatchError,
    DriftDependencyError,
    EmptyDataError,
    NotAFrameError,
    UnknownColumnError,
    UnsupportedColumnError,
)

if TYPE_CHECKING:
    import pandas as pd

    from repro.drift.report import ColumnKind

__all__ = ["column_kinds", "import_pandas", "present_values"]

_FRAMES = ("reference", "current")


def import_pandas() -> Any:
    try:
        import pandas
    except ModuleNotFoundError as exc:
        raise DriftDependencyError("pandas") from exc
    return pandas


def column_kinds(
    reference: pd.DataFrame, current: pd.DataFrame, columns: Sequence[str] | None
) -> dict[str, ColumnKind]:
    """The columns to compare, in order, with the kind of test each gets."""
    pd = import_pandas()
    for which, frame in zip(_FRAMES, (reference, current), strict=True):
        if not isinstance(frame, pd.DataFrame):
            raise NotAFrameError(which, type(frame).__name__)
        if frame.shape[0] == 0 or frame.shape[1] == 0:
            raise EmptyDataError(which)
    names = _compared(list(reference.columns), list(current.columns), columns)
    return {name: _kind(name, reference[name], current[name]) for name in names}


def _compared(reference: list[Any], current: list[Any], columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        unknown = [name for name in columns if name not in reference and name not in current]
        if unknown:
            raise UnknownColumnError(unknown, [str(name) for name in reference])
        wanted = list(dict.fromkeys(columns))
    else:
        wanted = reference + [name for name in current if name not in reference]
    missing = [str(name) for name in wanted if name not in current]
    extra = [str(name) for name in wanted if name not in reference]
    if missing or extra:
        raise ColumnMismatchError(missing, extra)
    for name in wanted:
        if not isinstance(name, str):
            raise UnsupportedColumnError(
                str(name), f"its name is a {type(name).__name__}; name columns with strings"
            )
        if reference.count(name) > 1 or current.count(name) > 1:
            raise UnsupportedColumnError(name, "more than one column has this name")
    return wanted


def _kind(name: str, reference: pd.Series, current: pd.Series) -> ColumnKind:
    kinds = [_dtype_kind(name, series, which) for which, series in _pairs(reference, current)]
    if kinds[0] != kinds[1]:
        raise UnsupportedColumnError(
            name, f"it is {kinds[0]} in the reference but {kinds[1]} in the current frame"
        )
    return kinds[0]


def _pairs(reference: pd.Series, current: pd.Series) -> list[tuple[str, pd.Series]]:
    return list(zip(_FRAMES, (reference, current), strict=True))


def _dtype_kind(name: str, series: pd.Series, which: str) -> ColumnKind:
    from pandas.api import types

    dtype = series.dtype
    if types.is_bool_dtype(dtype) or isinstance(dtype, types.CategoricalDtype):
        return "categorical"
    if types.is_object_dtype(dtype) or types.is_string_dtype(dtype):
        return "categorical"
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        return "numeric"
    raise UnsupportedColumnError(name, f"its dtype {dtype} in the {which} frame has no test")


def present_values(series: pd.Series, which: str) -> pd.Series:
    """The column's values without the missing ones; none at all is an error."""
    values = series.dropna()
    if values.empty:
        raise EmptyDataError(which, str(series.name))
    return values
