"""The artifact page: which run made an output, which runs reused and
consumed it, the models it is a version of, and its ancestry back to the
data snapshots, drawn as an inline SVG."""

from __future__ import annotations

from flask import Blueprint, render_template

from repro.ui.app import current_project
from repro.ui.routes import route_path
from repro.views.lineage import artifact_lineage
from repro.views.lineage_graph import ancestry_svg

__all__ = ["blueprint"]

blueprint = Blueprint("artifacts", __name__)


@blueprint.get("/artifacts/<oid>")
def artifact(oid: str) -> str:
    lineage = artifact_lineage(current_project(), oid)
    svg = ancestry_svg(lineage, route_path)
    return render_template("artifact.html", lineage=lineage, svg=svg)
