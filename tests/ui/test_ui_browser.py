"""The UI as a person uses it, in headless Chromium against the app served on
loopback over the quickstart: open a run and see its DAG and a metric,
compare two runs, follow an artifact's lineage back to its data, user text
that never runs as script, and the screenshot the README shows (its content
checked, not only its bytes).

`REPRO_REGENERATE_SCREENSHOTS=1` writes the screenshot into docs/.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from ui_testing import PAYLOADS, Quickstart, add_hostile_run

from repro.project import Project
from repro.ui.app import create_app
from repro.ui.server import Served, serving

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Page

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "ui-run.png"
SHOT_SIZE = {"width": 1280, "height": 1280}
# The DAG's fills for executed and cached steps (repro.views.dag.STATUS_COLOURS).
EXECUTED_FILL = (0x1F, 0x7A, 0x3E)
CACHED_FILL = (0x5B, 0x6A, 0xB5)


@pytest.fixture(scope="module")
def served(ui_app: Flask) -> Iterator[Served]:
    with serving(ui_app) as address:
        yield address


def _open_run(page: Page, served: Served, run: str) -> None:
    page.goto(served.url + "runs")
    page.locator(f'tr[data-run="{run}"] a[href="/runs/{run}"]').click()
    page.wait_for_url(re.compile(rf"/runs/{run}$"))


def test_a_run_shows_its_dag_and_a_metric(
    page: Page, served: Served, ui_quickstart: Quickstart
) -> None:
    _open_run(page, served, ui_quickstart.retrain)
    dag = page.locator("#dag svg")
    assert dag.is_visible()
    assert dag.locator("text", has_text="retrain_model").count() == 1
    assert page.locator('#steps [data-step="retrain_model"] .badge.executed').first.is_visible()
    rmse = page.locator('#metrics [data-metric="rmse"]').first
    assert rmse.is_visible()
    assert re.fullmatch(r"\d+\.\d+", rmse.inner_text().strip())


def test_two_runs_are_compared_from_the_runs_list(
    page: Page, served: Served, ui_quickstart: Quickstart
) -> None:
    page.goto(served.url + "runs")
    for run in (ui_quickstart.first, ui_quickstart.retrain):
        page.locator(f'tr[data-run="{run}"] input[name="run"]').check()
    page.locator("#compare-selected").click()
    page.wait_for_url(re.compile(r"/compare\?"))
    metrics = page.locator("#compare-metrics")
    assert metrics.is_visible()
    assert ui_quickstart.first in metrics.inner_text()
    assert ui_quickstart.retrain in metrics.inner_text()
    assert page.locator("#compare-metrics tr.differs").count() >= 1
    assert "retrain_model" in page.locator("#compare-steps").inner_text()


def test_an_artifacts_lineage_leads_back_to_the_data(
    page: Page, served: Served, ui_quickstart: Quickstart
) -> None:
    _open_run(page, served, ui_quickstart.retrain)
    page.locator("#step-retrain_model a.artifact").first.click()
    page.wait_for_url(re.compile(r"/artifacts/[0-9a-f]+$"))
    assert "retrain_model" in page.locator("#produced-by").inner_text()
    assert page.locator("#ancestry svg").is_visible()
    sources = page.locator("#ancestry .data-source").all_inner_texts()
    assert any("data/housing.csv" in source for source in sources), sources
    assert any("data/drops/" in source for source in sources), sources
    page.locator("#ancestry .data-source", has_text="data/housing.csv").locator("a").first.click()
    page.wait_for_url(re.compile(r"/trees/[0-9a-f]+$"))
    assert page.locator('#files [data-path="housing.csv"]').is_visible()


def test_an_unknown_run_is_a_404_page_with_the_hint(page: Page, served: Served) -> None:
    response = page.goto(served.url + "runs/zzzzzzzz")
    assert response is not None and response.status == 404
    assert "no run matches 'zzzzzzzz'" in page.locator("main").inner_text()
    page.locator(".hint a", has_text="runs list").click()
    page.wait_for_url(re.compile(r"/runs$"))


@pytest.fixture
def hostile(ui_quickstart: Quickstart, tmp_path: Path) -> Iterator[tuple[Served, str]]:
    root = tmp_path / "hostile"
    run = add_hostile_run(ui_quickstart, root)
    with serving(create_app(Project(str(root)))) as address:
        yield address, run


def test_user_text_is_shown_as_text_and_never_as_markup(
    page: Page, hostile: tuple[Served, str], ui_quickstart: Quickstart
) -> None:
    served, run = hostile
    shown = {
        "runs": ("script", "quote"),
        f"runs/{run}": ("script", "img", "quote"),
        f"compare?run={ui_quickstart.retrain}&run={run}": ("script", "img"),
        f"metrics?metric={quote(PAYLOADS['img'])}": ("img",),
    }
    for path, payloads in shown.items():
        page.goto(served.url + path)
        text = page.locator("main").inner_text()
        for payload in payloads:
            assert PAYLOADS[payload] in text, (path, payload)
        assert page.locator("main script, main img[src='x'], main svg[onload]").count() == 0, path


def test_the_readme_screenshot_shows_a_run_with_its_dag(
    page: Page, served: Served, ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    from PIL import Image

    page.set_viewport_size(SHOT_SIZE)
    _open_run(page, served, ui_quickstart.retrain)
    for hook in ("#pins", "#dag svg"):
        box = page.locator(hook).bounding_box()
        assert box is not None and box["y"] + box["height"] <= SHOT_SIZE["height"], hook
    shot = page.screenshot()
    colours = {
        colour for _, colour in Image.open(io.BytesIO(shot)).convert("RGB").getcolors(1 << 20)
    }
    assert {EXECUTED_FILL, CACHED_FILL} <= colours
    target = SCREENSHOT if os.environ.get("REPRO_REGENERATE_SCREENSHOTS") else tmp_path / "ui.png"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(shot)
    assert Image.open(SCREENSHOT).size == (SHOT_SIZE["width"], SHOT_SIZE["height"])
