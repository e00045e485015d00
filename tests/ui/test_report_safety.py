"""A report of a run whose user text is HTML and script shows it as text,
carries a policy that lets nothing in it run or load, and is never written
over a link, a device or a pipe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ui_testing import PAYLOADS, Quickstart, add_hostile_run

from repro.project import Project
from repro.ui.report import ReportPathError, write_report

POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@pytest.fixture(scope="module")
def hostile_report(ui_quickstart: Quickstart, tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("hostile") / "quickstart"
    run = add_hostile_run(ui_quickstart, root)
    path = root / "report.html"
    write_report(Project(str(root)), run, str(path))
    return path.read_text()


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_user_text_in_a_report_is_escaped(hostile_report: str, payload: str) -> None:
    assert PAYLOADS[payload] not in hostile_report
    escaped = PAYLOADS[payload].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in hostile_report or escaped.replace('"', "&#34;") in hostile_report


def test_a_report_lets_nothing_run_or_load(hostile_report: str) -> None:
    assert f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">' in hostile_report


def test_a_report_is_not_written_through_a_link(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "report.html"
    link.symlink_to(victim)
    with pytest.raises(ReportPathError, match="it is not a regular file; give a new file name"):
        write_report(ui_quickstart.project, ui_quickstart.first, str(link))
    assert victim.read_text() == "keep me" and link.is_symlink()


def test_a_report_is_not_written_over_a_pipe(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    pipe = tmp_path / "report.html"
    os.mkfifo(pipe)
    with pytest.raises(ReportPathError, match="not a regular file"):
        write_report(ui_quickstart.project, ui_quickstart.first, str(pipe))


def test_a_folder_that_cannot_be_written_is_one_line(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root writes anywhere; /proc refuses even root
            folder = Path("/proc")
        target = folder / "report.html"
        with pytest.raises(ReportPathError, match=rf"cannot write the report to {target}: "):
            write_report(ui_quickstart.project, ui_quickstart.first, str(target))
    finally:
        (tmp_path / "locked").chmod(0o700)
    assert not target.exists()
