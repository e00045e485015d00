"""DriftReport: its dict and JSON round trip, strict reading, and the HTML page."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest

from repro.drift import (
    ColumnDrift,
    DriftReport,
    DriftReportVersionError,
    DriftThresholds,
    InvalidDriftReportError,
    detect_drift,
)


@pytest.fixture
def report(reference: pd.DataFrame) -> DriftReport:
    current = reference.assign(x=reference["x"] + 2.0)
    return detect_drift(reference, current, thresholds=DriftThresholds(alpha=0.01, share=0.3))


def test_the_report_round_trips_through_a_dict(report: DriftReport) -> None:
    assert DriftReport.from_dict(report.to_dict()) == report


def test_the_report_round_trips_through_json(report: DriftReport) -> None:
    loaded = DriftReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert loaded == report and loaded.drift is True


def test_the_dict_names_its_format_and_verdict(report: DriftReport) -> None:
    data = report.to_dict()
    assert data["format"] == "repro.drift/v1"
    assert (data["drift"], data["drifted_columns"], data["detector"]) == (
        True,
        ["x"],
        "statistical",
    )
    assert data["thresholds"] == {"alpha": 0.01, "psi": 0.2, "column_rule": "either", "share": 0.3}


def test_a_column_is_found_by_name(report: DriftReport) -> None:
    assert report.column("city").kind == "categorical"
    with pytest.raises(KeyError):
        report.column("nope")


def _edited(report: DriftReport, **changes: Any) -> dict[str, Any]:
    return {**report.to_dict(), **changes}


def test_a_newer_format_asks_to_upgrade(report: DriftReport) -> None:
    with pytest.raises(DriftReportVersionError, match=r"format repro.drift/v2.*upgrade repro"):
        DriftReport.from_dict(_edited(report, format="repro.drift/v2"))


def test_another_format_is_refused(report: DriftReport) -> None:
    with pytest.raises(InvalidDriftReportError, match=r"format must be 'repro.drift/v1'"):
        DriftReport.from_dict(_edited(report, format="repro.run/v1"))


def test_a_verdict_that_does_not_follow_from_the_columns_is_refused(report: DriftReport) -> None:
    with pytest.raises(InvalidDriftReportError, match="verdict does not follow"):
        DriftReport.from_dict(_edited(report, drift=False))


def test_an_unexpected_key_is_refused(report: DriftReport) -> None:
    with pytest.raises(InvalidDriftReportError, match=r"unexpected \['extra'\]"):
        DriftReport.from_dict(_edited(report, extra=1))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("p_value", "0.5", "p_value must be a number or null"),
        ("kind", "text", "unknown kind 'text'"),
        ("drifted", 1, "drifted must be a bool"),
        ("current_size", -1, "current_size must be a non-negative integer"),
    ],
)
def test_a_malformed_column_is_refused(
    report: DriftReport, key: str, value: object, message: str
) -> None:
    data = report.to_dict()
    data["columns"][0][key] = value
    with pytest.raises(InvalidDriftReportError, match=message):
        DriftReport.from_dict(data)


def test_bad_thresholds_in_a_stored_report_are_refused(report: DriftReport) -> None:
    data = report.to_dict()
    data["thresholds"]["alpha"] = 7
    with pytest.raises(InvalidDriftReportError, match="alpha=7"):
        DriftReport.from_dict(data)


def test_a_report_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidDriftReportError, match="expected an object, not list"):
        DriftReport.from_dict([])  # type: ignore[arg-type]


def _column(name: str, *, drifted: bool) -> ColumnDrift:
    return ColumnDrift(name, "numeric", "ks", 0.5, 0.001 if drifted else 0.5, 0.3, drifted, 10, 10)


def test_html_escapes_column_names() -> None:
    hostile = "<script>alert('x')</script>"
    report = DriftReport((_column(hostile, drifted=True),), DriftThresholds())
    page = report.to_html()
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_html_escapes_the_title() -> None:
    page = DriftReport((), DriftThresholds()).to_html(title="a <b> & c")
    assert "<title>a &lt;b&gt; &amp; c</title>" in page


def test_html_is_self_contained(report: DriftReport) -> None:
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?:|src=|href=|@import|<script|<link", page)


def test_html_has_a_row_per_column_and_marks_drifted_ones(report: DriftReport) -> None:
    page = report.to_html()
    assert page.count("<tr") == 1 + len(report.columns)
    assert page.count('<tr class="drifted">') == 1
    assert "Drift detected — 1 of 3 columns drifted: x" in page


def test_html_bars_reach_the_middle_at_the_threshold() -> None:
    # PSI 0.3 against a threshold of 0.2: 0.3 / 0.4 = 75% of the bar.
    page = DriftReport((_column("a", drifted=True),), DriftThresholds()).to_html()
    assert 'class="bar over"><span style="width:75%">' in page


def test_html_of_a_report_without_drift_says_so() -> None:
    page = DriftReport((_column("a", drifted=False),), DriftThresholds()).to_html()
    assert "No drift — 0 of 1 columns drifted" in page
