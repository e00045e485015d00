"""Runs side by side (``/compare?run=A&run=B…``), or, given none, the
recent runs to pick from."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from repro.ui.app import current_project
from repro.views.compare_view import compare_page

__all__ = ["blueprint"]

blueprint = Blueprint("compare", __name__)


@blueprint.get("/compare")
def index() -> str:
    runs = [run for run in request.args.getlist("run") if run.strip()]
    return render_template("compare.html", page=compare_page(current_project(), runs))
