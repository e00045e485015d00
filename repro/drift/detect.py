"""``detect_drift``: a reference and a current frame, compared column by
column by a ``DriftDetector``, into a ``DriftReport``.

The frames are checked here, once, whatever the detector: the same
columns (or those named), rows in both, a numeric or categorical dtype
in both. A detector then says, per column, what it measured and whether
the column drifted; the dataset's verdict always follows the thresholds'
``share`` rule, so reports from different detectors read the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from repro.drift.columns import column_kinds, present_values
from repro.drift.errors import InvalidDetectorResultError, InvalidThresholdsError
from repro.drift.report import ColumnDrift, ColumnKind, DriftReport, DriftThresholds

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_BINS", "DriftDetector", "StatisticalDetector", "detect_drift"]

DEFAULT_BINS = 10


@runtime_checkable
class DriftDetector(Protocol):
    """Compares the given columns of two frames that ``detect_drift`` has
    checked; returns one ``ColumnDrift`` per column. ``name`` goes into the
    report."""

    name: str

    def compare(
        self,
        reference: pd.DataFrame,
        current: pd.DataFrame,
        columns: Mapping[str, ColumnKind],
        thresholds: DriftThresholds,
    ) -> Sequence[ColumnDrift]: ...


class StatisticalDetector:
    """Kolmogorov-Smirnov and PSI for numeric columns, chi-squared and PSI
    for categorical ones (see ``repro.drift.stats``); a column drifts by
    ``thresholds.column_rule``."""

    name = "statistical"

    def __init__(self, *, bins: int = DEFAULT_BINS) -> None:
        if type(bins) is not int or bins < 2:
            raise InvalidThresholdsError("bins", bins, "an integer of at least 2")
        self.bins = bins

    def compare(
        self,
        reference: pd.DataFrame,
        current: pd.DataFrame,
        columns: Mapping[str, ColumnKind],
        thresholds: DriftThresholds,
    ) -> list[ColumnDrift]:
        return [
            self._column(name, kind, reference[name], current[name], thresholds)
            for name, kind in columns.items()
        ]

    def _column(
        self,
        name: str,
        kind: ColumnKind,
        reference: pd.Series,
        current: pd.Series,
        thresholds: DriftThresholds,
    ) -> ColumnDrift:
        from repro.drift.stats import compare_categorical, compare_numeric

        ref, cur = present_values(reference, "reference"), present_values(current, "current")
        if kind == "numeric":
            result = compare_numeric(ref, cur, self.bins)
        else:
            result = compare_categorical(ref, cur)
        return ColumnDrift(
            column=name,
            kind=kind,
            test=result.test,
            statistic=result.statistic,
            p_value=result.p_value,
            psi=result.psi,
            drifted=thresholds.column_drifts(result.p_value, result.psi),
            reference_size=len(ref),
            current_size=len(cur),
        )


def detect_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    thresholds: DriftThresholds | None = None,
    columns: Sequence[str] | None = None,
    detector: DriftDetector | None = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` column by column (every
    column, or those named in ``columns``). The report is true when the
    dataset drifted; a step may return it as an output."""
    limits = thresholds if thresholds is not None else DriftThresholds()
    chosen: DriftDetector = detector if detector is not None else StatisticalDetector()
    kinds = column_kinds(reference, current, columns)
    results = chosen.compare(reference, current, kinds, limits)
    return DriftReport(_in_order(chosen.name, kinds, results), limits, chosen.name)


def _in_order(
    detector: str, kinds: Mapping[str, ColumnKind], results: Sequence[ColumnDrift]
) -> tuple[ColumnDrift, ...]:
    by_column = {result.column: result for result in results}
    missing = [name for name in kinds if name not in by_column]
    extra = [name for name in by_column if name not in kinds]
    if missing or extra or len(by_column) != len(results):
        raise InvalidDetectorResultError(detector, missing, extra)
    return tuple(by_column[name] for name in kinds)
