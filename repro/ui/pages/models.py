"""The models pages: every model with its versions and aliases, and one
model's versions, aliases and promotion history."""

from __future__ import annotations

from flask import Blueprint, render_template

from repro.ui.app import current_project
from repro.views.models_view import model_page, models_index

__all__ = ["blueprint"]

blueprint = Blueprint("models", __name__)


@blueprint.get("/models")
def index() -> str:
    return render_template("models.html", index=models_index(current_project()))


# A model's name is any text, "/" included: route_path quotes it.
@blueprint.get("/models/<path:name>")
def detail(name: str) -> str:
    return render_template("model.html", model=model_page(current_project(), name))
