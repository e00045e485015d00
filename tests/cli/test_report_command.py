"""`repro report RUN [-o FILE]`, the real command over the quickstart: one
HTML file holding everything it shows, reaching for nothing outside itself;
a wrong run or folder is one line, exit 1 and no file."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pipeline_testing import Result, cli
from ui_testing import Quickstart

from repro import __version__

# Attributes through which a page loads or links to something.
URL_ATTRIBUTES = {"href", "src", "srcset", "xlink:href", "action", "formaction", "poster", "data"}


class _Outside(HTMLParser):
    """The tags and references in a page that reach outside the file."""

    def __init__(self) -> None:
        super().__init__()
        self.reaching: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "link", "iframe", "img", "object", "embed", "base"}:
            self.reaching.append(f"<{tag}>")
        for name, value in attrs:
            if name in URL_ATTRIBUTES and not (value or "").startswith("#"):
                self.reaching.append(f"{tag} {name}={value}")


@pytest.fixture(scope="module")
def report(ui_quickstart: Quickstart, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "retrain.html"
    done = cli(ui_quickstart.root, "report", ui_quickstart.retrain, "-o", str(path))
    assert done.code == 0, done
    assert done.out.strip() == str(path)
    return path


def _one_line_error(done: Result, pattern: str) -> None:
    assert done.code == 1, done
    assert done.out == ""
    assert len(done.err.strip().splitlines()) == 1, done.err
    assert re.search(pattern, done.err), done.err


def test_the_report_holds_the_run_its_dag_and_a_metric(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert '<section id="dag" class="dag">' in html and "<svg" in html
    assert re.search(r'data-metric="rmse" title="[\d.]+">[\d.]+</td>', html)


def test_the_report_reaches_nothing_outside_itself(report: Path) -> None:
    parser = _Outside()
    parser.feed(report.read_text(encoding="utf-8"))
    assert parser.reaching == []


def test_the_report_inlines_the_stylesheet(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert "<style>" in html and ".badge.cached" in html
    assert "url(" not in html and "@import" not in html


def test_the_report_says_which_repro_made_it(report: Path) -> None:
    assert f"Made by repro {__version__} on " in report.read_text(encoding="utf-8")


def test_without_a_file_it_writes_the_run_id_in_this_folder(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    root = tmp_path / "quickstart"
    shutil.copytree(ui_quickstart.root, root, symlinks=True)
    done = cli(root, "report", ui_quickstart.first[:9])
    assert done.code == 0, done
    written = root / f"{ui_quickstart.first}.html"
    assert done.out.strip() == str(written)
    assert f'Run <span class="oid">{ui_quickstart.first}</span>' in written.read_text()


def test_an_unknown_run_is_one_line_and_no_file(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    done = cli(ui_quickstart.root, "report", "zzzz", "-o", str(tmp_path / "r.html"))
    _one_line_error(done, r"^error: no run matches 'zzzz'")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_does_not_exist_is_one_line(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "r.html"
    done = cli(ui_quickstart.root, "report", ui_quickstart.first, "-o", str(target))
    _one_line_error(done, r"the folder .*missing does not exist; create it first")
    assert not target.parent.exists()


def test_a_folder_as_the_file_is_one_line(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    done = cli(ui_quickstart.root, "report", ui_quickstart.first, "-o", str(tmp_path))
    _one_line_error(done, r"it is a folder; give a file name")
