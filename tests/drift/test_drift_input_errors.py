"""Frames that cannot be compared fail with the column (or frame) named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import pytest

from repro.drift import (
    ColumnDrift,
    ColumnMismatchError,
    DriftThresholds,
    EmptyDataError,
    InvalidDetectorResultError,
    NotAFrameError,
    UnknownColumnError,
    UnsupportedColumnError,
    detect_drift,
)
from repro.drift.report import ColumnKind


def test_different_columns_are_named() -> None:
    reference = pd.DataFrame({"a": [1], "b": [2], "c": [3]})
    current = pd.DataFrame({"a": [1], "d": [4], "c": [3]})
    with pytest.raises(ColumnMismatchError, match=r"current frame: 'b'; not in the reference: 'd'"):
        detect_drift(reference, current)


def test_the_mismatch_error_carries_the_columns() -> None:
    with pytest.raises(ColumnMismatchError, match="different columns") as caught:
        detect_drift(pd.DataFrame({"a": [1], "b": [2]}), pd.DataFrame({"a": [1]}))
    assert (caught.value.missing, caught.value.extra) == (["b"], [])


def test_naming_the_shared_columns_compares_frames_with_different_ones() -> None:
    reference = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 3.0]})
    current = pd.DataFrame({"a": [1.0, 2.0], "new": [4.0, 5.0]})
    assert [c.column for c in detect_drift(reference, current, columns=["a"]).columns] == ["a"]


def test_a_named_column_one_frame_lacks_is_a_mismatch() -> None:
    reference = pd.DataFrame({"a": [1.0], "b": [2.0]})
    with pytest.raises(ColumnMismatchError, match="missing from the current frame: 'b'"):
        detect_drift(reference, pd.DataFrame({"a": [1.0]}), columns=["b"])


def test_a_named_column_neither_frame_has_is_unknown() -> None:
    frame = pd.DataFrame({"a": [1.0]})
    with pytest.raises(UnknownColumnError, match=r"no column 'z' in the frames \(they have 'a'\)"):
        detect_drift(frame, frame, columns=["z"])


@pytest.mark.parametrize("which", ["reference", "current"])
def test_a_frame_without_rows_is_refused(which: str) -> None:
    frames = {"reference": pd.DataFrame({"a": [1.0]}), "current": pd.DataFrame({"a": [1.0]})}
    frames[which] = pd.DataFrame({"a": pd.Series([], dtype=float)})
    with pytest.raises(EmptyDataError, match=f"the {which} frame is empty"):
        detect_drift(frames["reference"], frames["current"])


def test_a_frame_without_columns_is_refused() -> None:
    with pytest.raises(EmptyDataError, match="the reference frame is empty"):
        detect_drift(pd.DataFrame(index=[0, 1]), pd.DataFrame({"a": [1.0]}))


def test_a_column_with_only_missing_values_is_named() -> None:
    reference = pd.DataFrame({"a": [1.0, 2.0]})
    current = pd.DataFrame({"a": [None, None]}, dtype=float)
    with pytest.raises(EmptyDataError, match="column 'a' of the current frame has only missing"):
        detect_drift(reference, current)


def test_an_unsupported_dtype_is_named() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "when": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    with pytest.raises(UnsupportedColumnError, match=r"column 'when': its dtype datetime64"):
        detect_drift(frame, frame)


def test_a_column_numeric_in_one_frame_and_categorical_in_the_other_is_named() -> None:
    reference = pd.DataFrame({"a": [1.0, 2.0]})
    current = pd.DataFrame({"a": ["1", "2"]})
    with pytest.raises(
        UnsupportedColumnError, match="'a': it is numeric in the reference but categorical"
    ):
        detect_drift(reference, current)


def test_unhashable_values_are_named() -> None:
    frame = pd.DataFrame({"a": [[1], [2]]})
    with pytest.raises(UnsupportedColumnError, match="'a': its values cannot be counted"):
        detect_drift(frame, frame)


def test_a_column_name_that_is_not_a_string_is_refused() -> None:
    frame = pd.DataFrame({0: [1.0, 2.0]})
    with pytest.raises(UnsupportedColumnError, match="column '0': its name is a int"):
        detect_drift(frame, frame)


def test_a_repeated_column_name_is_refused() -> None:
    frame = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"])
    with pytest.raises(UnsupportedColumnError, match="'a': more than one column has this name"):
        detect_drift(frame, frame)


def test_something_other_than_a_frame_is_refused() -> None:
    with pytest.raises(NotAFrameError, match="the current data is a list; give a pandas DataFrame"):
        detect_drift(pd.DataFrame({"a": [1.0]}), [1.0])


class _Forgetful:
    """A detector that answers for no column."""

    name = "forgetful"

    def compare(
        self,
        reference: pd.DataFrame,
        current: pd.DataFrame,
        columns: Mapping[str, ColumnKind],
        thresholds: DriftThresholds,
    ) -> Sequence[ColumnDrift]:
        return []


def test_a_detector_that_skips_a_column_is_named() -> None:
    frame = pd.DataFrame({"a": [1.0]})
    with pytest.raises(InvalidDetectorResultError, match="'forgetful' returned no result for 'a'"):
        detect_drift(frame, frame, detector=_Forgetful())
