"""Issue 19, section 6: the UI's ``/metrics`` page opens when matplotlib
(the ``plot`` extra) is not installed, shows the points and says why there
is no chart, instead of answering HTTP 500.

The real ``repro ui`` is started in a Python where ``import matplotlib``
fails as it does when the package is absent (``sys.modules`` holds None
for it before anything runs), and the page is fetched over HTTP."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_testing import make_flow_project, run_json

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# `python -m repro ui --port 0`, with matplotlib made unimportable first.
_WITHOUT_MATPLOTLIB = (
    "import runpy, sys\n"
    "sys.modules['matplotlib'] = None\n"
    "sys.argv = ['repro', 'ui', '--port', '0']\n"
    "runpy.run_module('repro', run_name='__main__')\n"
)


@pytest.fixture
def flow_run(git_repo: Path) -> tuple[Path, str]:
    """The flow project after one run (its ``total`` step logs a metric)."""
    make_flow_project(git_repo)
    return git_repo, run_json(git_repo)["run"]


@pytest.fixture
def ui_without_matplotlib(flow_run: tuple[Path, str]) -> Iterator[str]:
    """The base URL of ``repro ui`` serving the flow project, matplotlib absent."""
    root, _ = flow_run
    process = subprocess.Popen(
        [sys.executable, "-c", _WITHOUT_MATPLOTLIB],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("repro ui: http://127.0.0.1:"), (line, process.stderr)
        yield line.split()[2]
    finally:
        process.kill()
        process.communicate()


def _get(url: str) -> str:
    with _opener.open(url, timeout=30) as response:
        assert response.status == 200
        text: str = response.read().decode()
        return text


def test_the_metrics_page_opens_without_matplotlib_and_says_why(
    ui_without_matplotlib: str, flow_run: tuple[Path, str]
) -> None:
    _, run = flow_run
    text = _get(ui_without_matplotlib + "metrics?metric=total")
    chart = text[text.index('<section id="chart"') :]
    chart = chart[: chart.index("</section>")]
    assert "No chart: charts need matplotlib" in chart and "repro-gitops[plot]" in chart
    # Everything else on the page is there: the metric's points, by run.
    assert f'<tr data-run="{run}">' in text


def test_the_chart_is_drawn_where_matplotlib_is_installed(flow_run: tuple[Path, str]) -> None:
    from repro.project import Project
    from repro.ui.app import create_app

    root, _ = flow_run
    response = create_app(Project(str(root))).test_client().get("/metrics?metric=total")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "No chart" not in text and 'id="patch_1"' in text  # matplotlib's figure
