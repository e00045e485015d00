"""The HTML report in headless Chromium, opened from a file:// URL with the
network off: it asks for nothing outside itself, shows the DAG and the
metrics, logs no console error, and a step of the DAG leads to its section."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ui_testing import Quickstart

from repro.ui.report import write_report

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Route


@dataclass
class Opened:
    page: Page
    requests: list[str] = field(default_factory=list)  # every request not for a file
    errors: list[str] = field(default_factory=list)  # console errors and page errors


@pytest.fixture(scope="module")
def report(ui_quickstart: Quickstart, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(ui_quickstart.project, ui_quickstart.retrain, str(path))
    return path


@pytest.fixture
def opened(page: Page, report: Path) -> Iterator[Opened]:
    seen = Opened(page)

    def route(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
            return
        seen.requests.append(route.request.url)
        route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.errors.append(message.text)

    page.context.set_offline(True)
    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    yield seen


def test_the_report_asks_for_nothing_outside_itself(opened: Opened) -> None:
    assert opened.requests == []


def test_the_report_logs_no_console_error(opened: Opened) -> None:
    assert opened.errors == []


def test_the_dag_is_drawn(opened: Opened) -> None:
    svg = opened.page.locator("#dag svg")
    box = svg.bounding_box()
    assert svg.is_visible() and box is not None and box["width"] > 300
    assert opened.page.locator("#dag svg g.node", has_text="retrain_model").is_visible()


def test_a_metric_value_is_visible(opened: Opened) -> None:
    cell = opened.page.locator('#metrics td[data-metric="rmse"]').first
    assert cell.is_visible()
    assert re.fullmatch(r"\d+(\.\d+)?", cell.inner_text())


def test_the_styles_apply_without_the_network(opened: Opened) -> None:
    badge = opened.page.locator("#step-train_model .badge.cached")
    colour = badge.evaluate("element => getComputedStyle(element).backgroundColor")
    assert colour == "rgb(91, 106, 181)"  # --cached


def test_a_step_of_the_dag_leads_to_its_section(opened: Opened) -> None:
    opened.page.locator("#dag svg g.node", has_text="evaluate_2").click()
    from playwright.sync_api import expect

    assert opened.page.evaluate("location.hash") == "#step-evaluate_2"
    expect(opened.page.locator("#step-evaluate_2")).to_be_in_viewport()
