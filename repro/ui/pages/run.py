"""A run's page: its pins, DAG, steps with their cache decisions, outputs
with previews, metrics, logs and replays (what ``repro report`` writes to
a file, served live)."""

from __future__ import annotations

from flask import Blueprint, render_template

from repro.ui.app import current_project
from repro.views.run_detail import run_detail

__all__ = ["blueprint"]

blueprint = Blueprint("run", __name__)


@blueprint.get("/runs/<run>")
def run(run: str) -> str:
    return render_template("run.html", detail=run_detail(current_project(), run))
