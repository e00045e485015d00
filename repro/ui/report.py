"""``repro report``: one run as a single HTML file that opens anywhere with
no network: the stylesheet inlined, the DAG an inline SVG, no script and no
link out of the file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from repro import __version__
from repro.atomic import write_atomic
from repro.errors import ReproError
from repro.project import Project
from repro.ui.templating import report_environment
from repro.views.run_detail import run_detail

__all__ = ["ReportPathError", "ReportResult", "write_report"]


class ReportPathError(ReproError, OSError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write the report to {path}: {reason}")


@dataclass(frozen=True)
class ReportResult:
    path: str
    run: str
    bytes: int


def write_report(project: Project, run: str, path: str) -> ReportResult:
    """Write the report of run ``run`` (an id or a unique prefix) to ``path``;
    nothing is written if the run is unknown or the folder does not exist."""
    target = os.path.abspath(path)
    _check_target(target)
    detail = run_detail(project, run)
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    template = report_environment().get_template("report.html")
    data = template.render(detail=detail, version=__version__, made=made).encode("utf-8")
    try:
        write_atomic(target, data)
    except OSError as exc:
        raise ReportPathError(target, exc.strerror or str(exc)) from exc
    return ReportResult(target, detail.id, len(data))


def _check_target(target: str) -> None:
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise ReportPathError(target, f"the folder {folder} does not exist; create it first")
    if os.path.isdir(target):
        raise ReportPathError(target, "it is a folder; give a file name, such as report.html")
    # The write renames over the target: never over a link, a device or a pipe.
    if os.path.lexists(target) and (os.path.islink(target) or not os.path.isfile(target)):
        raise ReportPathError(target, "it is not a regular file; give a new file name")
