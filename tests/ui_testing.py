"""What the UI and report tests share: the quickstart with a history worth
showing (a run, its verified replay, a promotion, a drifted drop and the
retraining run it triggered), the app over it, and headless Chromium.

The browser is Debian's ``chromium`` (``scripts/services.sh`` installs it)
driven by Playwright (a dev dependency); a test that needs a missing one is
skipped with the command that installs it, and a skip fails under
``CI=true`` (see conftest).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pipeline_testing import cli, commit_all, run_json
from repro_testing import git

from repro.lineage.runs import RunIndex, new_run_id
from repro.project import Project

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from playwright.sync_api import Browser, Page

__all__ = [
    "PAYLOADS",
    "QUICKSTART",
    "QUICKSTART_STEPS",
    "Quickstart",
    "add_hostile_run",
    "busy_port",
    "chromium",
    "page",
    "ui_app",
    "ui_client",
    "ui_quickstart",
]

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"
# As root on a closed network: no sandbox, and none of Chromium's own traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
]
# In definition order; the last two run only when the data drifted.
QUICKSTART_STEPS = (
    "ingest_data",
    "ingest_drops",
    "train_model",
    "evaluate",
    "check_drift",
    "retrain_model",
    "evaluate_2",
)
# User text that would run as script if it reached a page unescaped.
PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(2)>",
    "quote": '"><svg onload=alert(3)>',
}
CHROMIUM_HINT = "as root, `bash scripts/services.sh chromium` installs Debian's chromium"


@dataclass(frozen=True)
class Quickstart:
    """The quickstart project after its story; ids of what it recorded."""

    root: Path
    first: str  # the first run: five steps executed, retraining skipped
    replay: str  # its replay, verified identical
    retrain: str  # the run on the drifted drop: retrain_model and evaluate_2 executed

    @property
    def project(self) -> Project:
        return Project(str(self.root))


def _latest_run(root: Path) -> str:
    runs: list[dict[str, Any]] = cli(root, "runs", "list", "--json").json()
    return str(runs[-1]["id"])


def _story(root: Path) -> Quickstart:
    shutil.copytree(
        QUICKSTART, root, ignore=shutil.ignore_patterns("demo.sh", "__pycache__", "outputs")
    )
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "quickstart")
    run_json(root)
    first = _latest_run(root)
    assert cli(root, "replay", first, "--verify").code == 0
    replay = _latest_run(root)
    version = cli(root, "models", "list", "--json").json()[0]["version"]
    promoted = cli(root, "models", "promote", "my_model", version, "--alias", "production")
    assert promoted.code == 0, promoted
    commit_all(root, "promote my_model to production")
    shutil.copy(root / "data/incoming/drop-002.csv", root / "data/drops/")
    commit_all(root, "a drifted drop")
    run_json(root)
    return Quickstart(root, first, replay, _latest_run(root))


def add_hostile_run(quickstart: Quickstart, root: Path) -> str:
    """Copies the quickstart to ``root`` with one more run, the retraining run
    again but with HTML and script in its params, tags and a metric's name."""
    shutil.copytree(quickstart.root, root, symlinks=True)
    index = RunIndex(os.path.join(root, ".repro"))
    record = index.load(quickstart.retrain)
    step = record.steps["evaluate_2"].model_copy(
        update={"metrics": {PAYLOADS["img"]: 1.5}, "tags": {"x": PAYLOADS["quote"]}}
    )
    run = new_run_id()
    changes = {
        "id": run,
        "params": {**record.params, PAYLOADS["script"]: PAYLOADS["img"]},
        "tags": {"note": PAYLOADS["script"], PAYLOADS["quote"]: "x"},
        "steps": {**record.steps, "evaluate_2": step},
    }
    index.save(record.model_copy(update=changes))
    return run


@pytest.fixture(scope="session")
def ui_quickstart(tmp_path_factory: pytest.TempPathFactory) -> Quickstart:
    """One per test process; tests only read it."""
    return _story(tmp_path_factory.mktemp("ui") / "quickstart")


@pytest.fixture(scope="session")
def ui_app(ui_quickstart: Quickstart) -> Flask:
    from repro.ui.app import create_app

    return create_app(ui_quickstart.project)


@pytest.fixture
def ui_client(ui_app: Flask) -> FlaskClient:
    return ui_app.test_client()


def _chromium_path() -> str | None:
    return os.environ.get("REPRO_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    executable = _chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed; it is in the dev extra: pip install -e '.[dev]'")
    if executable is None:
        pytest.skip(f"no chromium on PATH; {CHROMIUM_HINT}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something else listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]
