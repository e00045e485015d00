"""Drift between a reference and a current data frame, column by column.

    from repro.drift import detect_drift

    @step
    def check_drift(reference: pd.DataFrame, current: pd.DataFrame) -> DriftReport:
        return detect_drift(reference, current)  # stored as JSON; `repro drift show`

Numeric columns get the Kolmogorov-Smirnov test and the population
stability index, categorical ones (object, string, category, bool) the
chi-squared test and the PSI (formulas in ``repro.drift.stats``).
``DriftThresholds`` says when a column drifts and when the dataset does;
the report is true when it did. Evidently plugs in as a ``DriftDetector``
(``EvidentlyDetector``, the ``drift`` extra).

Importing this package imports neither pandas nor scipy; comparing does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from repro.lazy import lazy_exports

if TYPE_CHECKING:
    from repro.drift.detect import DriftDetector, StatisticalDetector, detect_drift
    from repro.drift.errors import (
        ColumnMismatchError,
        DriftDependencyError,
        DriftReportVersionError,
        EmptyDataError,
        EvidentlyUnavailableError,
        InvalidDetectorResultError,
        InvalidDriftReportError,
        InvalidThresholdsError,
        NotAFrameError,
        UnexpectedEvidentlyResultError,
        UnknownColumnError,
        UnsupportedColumnError,
    )
    from repro.drift.evidently_adapter import EvidentlyDetector
    from repro.drift.report import ColumnDrift, DriftReport, DriftThresholds
    from repro.drift.stats import population_stability_index

_MODULES = {
    "repro.drift.detect": ("DriftDetector", "StatisticalDetector", "detect_drift"),
    "repro.drift.errors": (
        "ColumnMismatchError",
        "DriftDependencyError",
        "DriftReportVersionError",
        "EmptyDataError",
        "EvidentlyUnavailableError",
        "InvalidDetectorResultError",
        "InvalidDriftReportError",
        "InvalidThresholdsError",
        "NotAFrameError",
        "UnexpectedEvidentlyResultError",
        "UnknownColumnError",
        "UnsupportedColumnError",
    ),
    "repro.drift.evidently_adapter": ("EvidentlyDetector",),
    "repro.drift.report": ("ColumnDrift", "DriftReport", "DriftThresholds"),
    "repro.drift.stats": ("population_stability_index",),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}

__getattr__ = lazy_exports(globals(), _LAZY)

__all__ = [
    "ColumnDrift",
    "ColumnMismatchError",
    "DriftDependencyError",
    "DriftDetector",
    "DriftReport",
    "DriftReportVersionError",
    "DriftThresholds",
    "EmptyDataError",
    "EvidentlyDetector",
    "EvidentlyUnavailableError",
    "InvalidDetectorResultError",
    "InvalidDriftReportError",
    "InvalidThresholdsError",
    "NotAFrameError",
    "StatisticalDetector",
    "UnexpectedEvidentlyResultError",
    "UnknownColumnError",
    "UnsupportedColumnError",
    "detect_drift",
    "population_stability_index",
]
