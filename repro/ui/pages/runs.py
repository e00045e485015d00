"""The runs list (``/runs``): filters, a page of runs, and the form that
sends the runs ticked to the comparison."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from repro.ui.app import current_project
from repro.views.runs_page import RunsQuery, runs_page

__all__ = ["blueprint"]

blueprint = Blueprint("runs", __name__)


@blueprint.get("/runs")
def index() -> str:
    page = runs_page(current_project(), RunsQuery.parse(request.args))
    return render_template("runs.html", page=page)
