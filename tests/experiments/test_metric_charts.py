"""Charts of a metric: a PNG, or a self-contained HTML page (inline SVG and a
table of the points), drawn the same way every time."""

from __future__ import annotations

from pathlib import Path

import pytest
from experiments_testing import flow_record

from repro.experiments.metrics import MetricSeries, metric_series
from repro.experiments.plot import UnsupportedPlotFormatError, plot_metric

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def series() -> MetricSeries:
    runs = [
        flow_record("run1", created="2026-01-01T00:00:01.000+00:00"),
        flow_record("run2", factor=4, created="2026-01-01T00:00:02.000+00:00"),
    ]
    return metric_series(runs, "total")


def test_a_png_chart_is_a_png_image(series: MetricSeries, tmp_path: Path) -> None:
    path = plot_metric(series, str(tmp_path / "total.png"))
    data = Path(path).read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (800, 450)


def test_a_png_chart_shows_the_points(series: MetricSeries, tmp_path: Path) -> None:
    one = metric_series([flow_record("run1")], "total")
    plot_metric(series, str(tmp_path / "two.png"))
    plot_metric(one, str(tmp_path / "one.png"))
    assert (tmp_path / "two.png").read_bytes() != (tmp_path / "one.png").read_bytes()


def test_an_html_chart_holds_the_metric_and_every_point(
    series: MetricSeries, tmp_path: Path
) -> None:
    plot_metric(series, str(tmp_path / "total.html"))
    page = (tmp_path / "total.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>total by run</title>" in page
    assert page.count("<svg") == 1 and "<?xml" not in page
    assert "<td>run1</td>" in page and "<td>18</td>" in page
    assert "<td>run2</td>" in page and "<td>24</td>" in page


def test_an_html_chart_needs_no_network(series: MetricSeries, tmp_path: Path) -> None:
    plot_metric(series, str(tmp_path / "total.html"))
    page = (tmp_path / "total.html").read_text().lower()
    assert "<script" not in page and "src=" not in page and "<link" not in page


@pytest.mark.parametrize("name", ["total.png", "total.html"])
def test_a_chart_is_the_same_bytes_every_time(
    series: MetricSeries, tmp_path: Path, name: str
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        plot_metric(series, str(folder / name))
    assert (first / name).read_bytes() == (second / name).read_bytes()


def test_an_unknown_suffix_is_an_error_and_writes_nothing(
    series: MetricSeries, tmp_path: Path
) -> None:
    with pytest.raises(UnsupportedPlotFormatError, match=r"unknown suffix '.svg'; name a .png or"):
        plot_metric(series, str(tmp_path / "total.svg"))
    assert list(tmp_path.iterdir()) == []
