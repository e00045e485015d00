"""The typed result of a drift check: thresholds, per-column results and the
verdict, as frozen values that round-trip through plain JSON-able dicts.

The dict form (``repro.drift/v1``) is what the ``repro.drift`` materializer
stores; every number in it is a finite float or an int, so it serializes
canonically and a replay can compare its bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from repro.drift.errors import (
    DriftReportVersionError,
    InvalidDriftReportError,
    InvalidThresholdsError,
)

__all__ = [
    "REPORT_FORMAT",
    "ColumnDrift",
    "ColumnKind",
    "ColumnRule",
    "DriftReport",
    "DriftThresholds",
]

REPORT_FORMAT: Final = "repro.drift/v1"

ColumnKind = Literal["numeric", "categorical"]
# What makes one column drift: a test's p-value below alpha ("p_value"),
# its PSI above the psi threshold ("psi"), either of them, or both.
ColumnRule = Literal["either", "both", "p_value", "psi"]

_THRESHOLD_KEYS = ("alpha", "psi", "column_rule", "share")
_COLUMN_KEYS = (
    "column",
    "kind",
    "test",
    "statistic",
    "p_value",
    "psi",
    "drifted",
    "reference_size",
    "current_size",
)
_REPORT_KEYS = ("format", "detector", "drift", "drifted_columns", "thresholds", "columns")


@dataclass(frozen=True)
class DriftThresholds:
    """When a column drifts, and when the dataset does.

    ``share``: the dataset drifts when at least this share of the compared
    columns drifts; ``None`` (the default) means as soon as any one does.
    """

    alpha: float = 0.05
    psi: float = 0.2
    column_rule: ColumnRule = "either"
    share: float | None = None

    def __post_init__(self) -> None:
        if not _number(self.alpha) or not 0 < self.alpha < 1:
            raise InvalidThresholdsError("alpha", self.alpha, "a number between 0 and 1")
        if not _number(self.psi) or self.psi <= 0:
            raise InvalidThresholdsError("psi", self.psi, "a positive number")
        if self.column_rule not in get_args(ColumnRule):
            expected = "one of " + ", ".join(get_args(ColumnRule))
            raise InvalidThresholdsError("column_rule", self.column_rule, expected)
        if self.share is not None and (not _number(self.share) or not 0 < self.share <= 1):
            raise InvalidThresholdsError("share", self.share, "a share in (0, 1], or None")

    def column_drifts(self, p_value: float | None, psi: float | None) -> bool:
        """Whether a column with these results drifts; a result a detector
        did not compute (None) never says it does."""
        by_p = p_value is not None and p_value < self.alpha
        by_psi = psi is not None and psi > self.psi
        return {
            "either": by_p or by_psi,
            "both": by_p and by_psi,
            "p_value": by_p,
            "psi": by_psi,
        }[self.column_rule]

    def dataset_drifts(self, drifted: int, total: int) -> bool:
        if self.share is None:
            return drifted > 0
        return total > 0 and drifted / total >= self.share

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in _THRESHOLD_KEYS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftThresholds:
        _check_keys("thresholds", data, _THRESHOLD_KEYS)
        try:
            return cls(**{key: data[key] for key in _THRESHOLD_KEYS})
        except InvalidThresholdsError as exc:
            raise InvalidDriftReportError(str(exc)) from exc


@dataclass(frozen=True)
class ColumnDrift:
    """One column's comparison. ``statistic`` is the test's (KS distance,
    chi-squared); a detector leaves out (None) what it did not compute."""

    column: str
    kind: ColumnKind
    test: str
    statistic: float | None
    p_value: float | None
    psi: float | None
    drifted: bool
    reference_size: int  # values compared (missing ones are left out)
    current_size: int

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in _COLUMN_KEYS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnDrift:
        _check_keys("column", data, _COLUMN_KEYS)
        where = f"column {data['column']!r}"
        _check(where, "column", data["column"], str)
        _check(where, "test", data["test"], str)
        if data["kind"] not in get_args(ColumnKind):
            raise InvalidDriftReportError(f"{where}: unknown kind {data['kind']!r}")
        for key in ("statistic", "p_value", "psi"):
            if data[key] is not None and not _number(data[key]):
                raise InvalidDriftReportError(f"{where}: {key} must be a number or null")
        _check(where, "drifted", data["drifted"], bool)
        for key in ("reference_size", "current_size"):
            if not _count(data[key]):
                raise InvalidDriftReportError(f"{where}: {key} must be a non-negative integer")
        return cls(**{key: data[key] for key in _COLUMN_KEYS})


@dataclass(frozen=True)
class DriftReport:
    """Per-column results and the dataset's verdict; true when it drifted."""

    columns: tuple[ColumnDrift, ...]
    thresholds: DriftThresholds
    detector: str = "statistical"
    drift: bool = field(init=False)
    drifted_columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        drifted = tuple(result.column for result in self.columns if result.drifted)
        object.__setattr__(self, "drifted_columns", drifted)
        verdict = self.thresholds.dataset_drifts(len(drifted), len(self.columns))
        object.__setattr__(self, "drift", verdict)

    def __bool__(self) -> bool:
        return self.drift

    def column(self, name: str) -> ColumnDrift:
        """The result for the column called ``name``."""
        for result in self.columns:
            if result.column == name:
                return result
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "detector": self.detector,
            "drift": self.drift,
            "drifted_columns": list(self.drifted_columns),
            "thresholds": self.thresholds.to_dict(),
            "columns": [result.to_dict() for result in self.columns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftReport:
        if not isinstance(data, Mapping):
            raise InvalidDriftReportError(f"expected an object, not {type(data).__name__}")
        _check_format(data.get("format"))
        _check_keys("report", data, _REPORT_KEYS)
        _check("report", "detector", data["detector"], str)
        columns = data["columns"]
        if not isinstance(columns, list):
            raise InvalidDriftReportError("columns must be a list")
        report = cls(
            columns=tuple(ColumnDrift.from_dict(_mapping(item)) for item in columns),
            thresholds=DriftThresholds.from_dict(_mapping(data["thresholds"])),
            detector=data["detector"],
        )
        # Derived, so stored only to be readable; a mismatch means an edit.
        if report.drift != data["drift"] or list(report.drifted_columns) != data["drifted_columns"]:
            raise InvalidDriftReportError("its verdict does not follow from its columns")
        return report

    def to_html(self, title: str = "Drift report") -> str:
        """A self-contained HTML page (inline style, no script, nothing fetched)."""
        from repro.drift.html import render_html

        return render_html(self, title)


def _check_format(found: object) -> None:
    if found == REPORT_FORMAT:
        return
    if isinstance(found, str) and found.startswith("repro.drift/"):
        raise DriftReportVersionError(found, REPORT_FORMAT)
    raise InvalidDriftReportError(f"format must be {REPORT_FORMAT!r}, not {found!r}")


def _check_keys(where: str, data: Mapping[str, Any], keys: Sequence[str]) -> None:
    missing = [key for key in keys if key not in data]
    unexpected = sorted(set(data) - set(keys))
    if missing or unexpected:
        raise InvalidDriftReportError(f"{where}: missing keys {missing}, unexpected {unexpected}")


def _check(where: str, key: str, value: object, kind: type) -> None:
    if type(value) is not kind:
        raise InvalidDriftReportError(f"{where}: {key} must be a {kind.__name__}")


def _mapping(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidDriftReportError(f"expected an object, not {type(value).__name__}")
    return value


def _number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _count(value: object) -> bool:
    return type(value) is int and value >= 0
