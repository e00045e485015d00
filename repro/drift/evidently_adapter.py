"""Evidently as a ``DriftDetector`` (the optional ``drift`` extra).

Evidently's ``DataDriftTable`` picks a test per column (for small data
K-S or chi-squared p-values, for large data distances such as Wasserstein
or Jensen-Shannon) and decides each column's drift by its own thresholds;
this adapter keeps that decision and maps each column's
``drift_by_columns`` entry into a ``ColumnDrift``: the test's display name,
its score as the p-value for the tests that give one and as the
statistic for the others, the score as the PSI for Evidently's PSI test.
The dataset's verdict still follows ``DriftThresholds.share``.

Evidently 0.7 keeps that API (0.4-0.6's) under ``evidently.legacy``; both
layouts are supported. The column kinds repro decided are passed as
Evidently's column mapping, with no target or prediction column, so a
column called ``target`` is compared like any other.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from repro.drift.errors import EvidentlyUnavailableError, UnexpectedEvidentlyResultError
from repro.drift.report import ColumnDrift, ColumnKind, DriftThresholds

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EvidentlyDetector", "columns_from_evidently"]

# Evidently's tests whose score is a p-value (display names); the others
# give a distance.
_P_VALUE_TESTS = frozenset(
    {
        "K-S p_value",
        "chi-square p_value",
        "Z-test p_value",
        "Anderson-Darling",
        "Cramer-von Mises",
        "Epps-Singleton",
        "Fisher's Exact test",
        "g_test",
        "Mann-Whitney U-rank test",
        "t_test",
        "empirical_mmd",
        "Total-Variation-Distance",
    }
)
_PSI_TEST = "PSI"
_TABLE = "DataDriftTable"
_ENTRY_KEYS = ("stattest_name", "drift_score", "drift_detected")


class EvidentlyDetector:
    """``stattest`` and ``stattest_threshold`` go to Evidently's
    ``DataDriftTable`` as they are (None: Evidently's defaults)."""

    name = "evidently"

    def __init__(
        self, *, stattest: str | None = None, stattest_threshold: float | None = None
    ) -> None:
        self.stattest = stattest
        self.stattest_threshold = stattest_threshold

    def compare(
        self,
        reference: pd.DataFrame,
        current: pd.DataFrame,
        columns: Mapping[str, ColumnKind],
        thresholds: DriftThresholds,
    ) -> list[ColumnDrift]:
        names = list(columns)
        result = self._run(reference[names], current[names], columns)
        sizes = {
            name: (int(reference[name].notna().sum()), int(current[name].notna().sum()))
            for name in names
        }
        return columns_from_evidently(result, columns, sizes)

    def _run(
        self, reference: pd.DataFrame, current: pd.DataFrame, columns: Mapping[str, ColumnKind]
    ) -> Mapping[str, Any]:
        report_module, metrics_module, mapping_module = _evidently_modules()
        mapping = mapping_module.ColumnMapping(
            target=None,
            prediction=None,
            datetime=None,
            numerical_features=[name for name, kind in columns.items() if kind == "numeric"],
            categorical_features=[name for name, kind in columns.items() if kind != "numeric"],
        )
        table = metrics_module.DataDriftTable(
            columns=list(columns),
            stattest=self.stattest,
            stattest_threshold=self.stattest_threshold,
        )
        report = report_module.Report(metrics=[table])
        report.run(reference_data=reference, current_data=current, column_mapping=mapping)
        result: Mapping[str, Any] = report.as_dict()
        return result


def _evidently_modules() -> tuple[Any, Any, Any]:
    try:
        import evidently  # noqa: F401  (an install that cannot be imported fails here)
    except ImportError as exc:
        raise EvidentlyUnavailableError(str(exc)) from exc
    root = "evidently.legacy" if importlib.util.find_spec("evidently.legacy") else "evidently"
    try:
        return (
            importlib.import_module(f"{root}.report"),
            importlib.import_module(f"{root}.metrics"),
            importlib.import_module(f"{root}.pipeline.column_mapping"),
        )
    except ImportError as exc:
        raise EvidentlyUnavailableError(str(exc)) from exc


def columns_from_evidently(
    result: Mapping[str, Any],
    columns: Mapping[str, ColumnKind],
    sizes: Mapping[str, tuple[int, int]],
) -> list[ColumnDrift]:
    """The ``ColumnDrift`` of each column in Evidently's report dictionary
    (``Report.as_dict()`` of a report with a ``DataDriftTable``); a column
    Evidently left out is left out."""
    by_column = _drift_by_columns(result)
    return [
        _column(name, kind, _mapping(by_column[name], name), sizes[name])
        for name, kind in columns.items()
        if name in by_column
    ]


def _drift_by_columns(result: Mapping[str, Any]) -> Mapping[str, Any]:
    metrics = result.get("metrics")
    if not isinstance(metrics, list):
        raise UnexpectedEvidentlyResultError("it has no list of metrics")
    for metric in metrics:
        if isinstance(metric, Mapping) and metric.get("metric") == _TABLE:
            by_column = _mapping(metric.get("result"), _TABLE).get("drift_by_columns")
            return _mapping(by_column, "drift_by_columns")
    raise UnexpectedEvidentlyResultError(f"it has no {_TABLE} metric")


def _column(
    name: str, kind: ColumnKind, entry: Mapping[str, Any], sizes: tuple[int, int]
) -> ColumnDrift:
    missing = [key for key in _ENTRY_KEYS if key not in entry]
    if missing:
        raise UnexpectedEvidentlyResultError(f"column {name!r} has no {', '.join(missing)}")
    test = str(entry["stattest_name"])
    value = _finite(entry["drift_score"])
    p_value = test in _P_VALUE_TESTS
    return ColumnDrift(
        column=name,
        kind=kind,
        test=test,
        statistic=None if p_value else value,
        p_value=value if p_value else None,
        psi=value if test == _PSI_TEST else None,
        drifted=bool(entry["drift_detected"]),
        reference_size=sizes[0],
        current_size=sizes[1],
    )


def _finite(score: object) -> float | None:
    """Evidently's score as a float; NaN (a test that could not decide) as None."""
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise UnexpectedEvidentlyResultError(f"a drift score is a {type(score).__name__}")
    value = float(score)
    return value if math.isfinite(value) else None


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise UnexpectedEvidentlyResultError(f"{where} is not an object")
    return value
