"""A pipeline step returns detect_drift(...); `repro drift show` reads the
stored report back, as a table, as JSON or as an HTML page."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_testing import cli, commit_all, dedent, run_json
from repro_testing import git

# One real `repro run` (pandas, scipy) for the module: about 6 s.
pytestmark = pytest.mark.slow

MONITOR = '''\
"""Compare this week's rows with the reference ones."""

from pathlib import Path

import pandas as pd

from repro import Dataset, log_artifact, pipeline, step
from repro.drift import DriftReport, detect_drift


@step
def check_drift(reference: Path, current: Path) -> DriftReport:
    return detect_drift(pd.read_csv(reference), pd.read_csv(current))


@step
def check_region(reference: Path, current: Path) -> bool:
    report = detect_drift(pd.read_csv(reference), pd.read_csv(current), columns=["region"])
    log_artifact(report, name="region_report")
    return bool(report)


@pipeline
def monitor(
    reference: Dataset = Dataset("data/reference.csv"),
    current: Dataset = Dataset("data/current.csv"),
) -> None:
    check_drift(reference, current)
    check_region(reference, current)
'''


def _rows(shift: float, regions: list[str]) -> str:
    lines = ["amount,region"]
    lines += [f"{i % 50 + shift},{regions[i % len(regions)]}" for i in range(200)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("monitor")
    git(root, "init", "-q", "-b", "main")
    files = {
        "monitor.py": MONITOR,
        "pyproject.toml": '[tool.repro.pipelines]\nmonitor = "monitor.py:monitor"\n',
        "data/reference.csv": _rows(0.0, ["north", "south"]),
        "data/current.csv": _rows(25.0, ["north", "south"]),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(dedent(text) if name.endswith(".py") else text)
    assert cli(root, "init").code == 0
    commit_all(root, "monitor project")
    return root


@pytest.fixture(scope="module")
def run(project: Path) -> str:
    run_id: str = run_json(project)["run"]
    return run_id


def test_drift_show_writes_the_html_page(project: Path, run: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    done = cli(project, "drift", "show", run[:8], "check_drift", "-o", str(page))
    assert done.code == 0, done.err
    assert f"to {page}" in done.out
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert f"Drift report: run {run}, check_drift/output" in html
    assert "Drift detected — 1 of 2 columns drifted: amount" in html


def test_the_step_output_is_stored_by_the_drift_materializer(project: Path, run: str) -> None:
    record = cli(project, "runs", "show", run, "--json").json()
    artifact = record["steps"]["check_drift"]["outputs"]["output"]
    assert (artifact["materializer"], artifact["type"]) == (
        "drift.report",
        "repro.drift.report.DriftReport",
    )


def test_drift_show_prints_the_verdict_and_a_row_per_column(project: Path, run: str) -> None:
    done = cli(project, "drift", "show", run, "check_drift/output")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0] == (
        f"run {run}, check_drift/output: DRIFT (1 of 2 columns drifted; statistical)"
    )
    assert lines[2].split()[:3] == ["amount", "numeric", "ks"] and lines[2].endswith("yes")
    assert lines[3].split()[:3] == ["region", "categorical", "chi2"] and lines[3].endswith("no")


def test_drift_show_json_gives_the_report(project: Path, run: str) -> None:
    done = cli(project, "drift", "show", run, "check_region", "--json")
    assert done.code == 0, done.err
    shown = done.json()
    assert (shown["step"], shown["output"], shown["html"]) == (
        "check_region",
        "region_report",
        None,
    )
    assert shown["report"]["format"] == "repro.drift/v1"
    assert shown["report"]["drift"] is False


def test_several_reports_need_a_step(project: Path, run: str) -> None:
    done = cli(project, "drift", "show", run)
    assert done.code == 2
    assert done.err.strip() == (
        f"error: run {run} has 2 drift reports (check_drift/output, "
        "check_region/region_report); name one as STEP or STEP/OUTPUT"
    )


def test_a_step_without_a_report_lists_those_with_one(project: Path, run: str) -> None:
    done = cli(project, "drift", "show", run, "check_drift/other")
    assert done.code == 1
    assert "step 'check_drift/other' of run" in done.err
    assert "has no drift report; it has some in check_drift/output, check_region/region_report" in (
        done.err
    )


def test_an_unknown_run_is_one_line(project: Path) -> None:
    done = cli(project, "drift", "show", "zzzzzz")
    assert (done.code, done.err.count("\n")) == (1, 1)
    assert "no run matches 'zzzzzz'" in done.err
