"""A metric across runs or commits (``/metrics?metric=M&by=run|commit&pipeline=P``),
drawn by matplotlib, with its points as a table."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from repro.ui.app import current_project
from repro.views.charts import metrics_chart

__all__ = ["blueprint"]

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
def index() -> str:
    chart = metrics_chart(
        current_project(),
        metric=_given("metric"),
        by=_given("by") or "run",
        pipeline=_given("pipeline"),
    )
    return render_template("metrics.html", chart=chart)


def _given(name: str) -> str | None:
    return request.args.get(name) or None
