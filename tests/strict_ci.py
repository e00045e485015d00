"""A pytest plugin: under ``CI=true`` a skipped test is reported as failed,
so that a green CI means every test ran. CI starts every service the suite
needs (``scripts/services.sh``); a skip there means one of them is missing,
and the failure carries the skip's reason, which names it. Elsewhere a test
whose service is missing skips with that reason. Expected failures (xfail)
are left alone."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

__all__ = ["in_ci"]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {_skip_reason(report)}"
    return report


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)
