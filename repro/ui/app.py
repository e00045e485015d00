"""The read-only web app over one project (``repro ui``).

Every page module in :mod:`repro.ui.pages` is registered; only GET and HEAD
are answered, and a content security policy allows no script but the app's
own, so that user text which slipped past escaping still could not run.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from repro.errors import ReproError, UsageError
from repro.project import Project
from repro.ui import pages
from repro.ui.errors import UiDependencyError
from repro.ui.routes import route_path
from repro.ui.server import is_loopback
from repro.ui.templating import FILTERS, stylesheet

try:
    from flask import Blueprint, Flask, Response, current_app, redirect, render_template
    from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed
except ImportError as exc:  # the `ui` extra is optional
    raise UiDependencyError("Flask") from exc

__all__ = ["create_app", "current_project"]

PROJECT_KEY = "REPRO_PROJECT"
LOOPBACK_KEY = "REPRO_LOOPBACK_ONLY"
READ_METHODS = frozenset({"GET", "HEAD"})
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(project: Project, *, loopback_only: bool = True) -> Flask:
    """``loopback_only``: answer only requests addressed to a loopback name,
    so that a web page whose domain is rebound to 127.0.0.1 reads nothing."""
    app = Flask("repro.ui", static_folder="static", template_folder="templates")
    app.config[PROJECT_KEY] = project
    app.config[LOOPBACK_KEY] = loopback_only
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(link=route_path, stylesheet=stylesheet, standalone=False)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "home", _home)
    app.before_request(_read_only)
    app.before_request(_addressed_to_loopback)
    app.after_request(_secure)
    app.register_error_handler(ReproError, _repro_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


def current_project() -> Project:
    project: Project = current_app.config[PROJECT_KEY]
    return project


def _blueprints() -> list[Blueprint]:
    found = []
    for module in pkgutil.iter_modules(pages.__path__):
        page = importlib.import_module(f"{pages.__name__}.{module.name}")
        found.append(page.blueprint)
    return found


def _home() -> Any:
    return redirect(route_path("runs"))


def _read_only() -> None:
    from flask import request

    if request.method not in READ_METHODS:
        raise MethodNotAllowed(valid_methods=sorted(READ_METHODS))


def _addressed_to_loopback() -> None:
    from flask import request

    if current_app.config[LOOPBACK_KEY] and not is_loopback(_host_name(request.host)):
        raise BadRequest(f"this UI answers requests to 127.0.0.1 only, not to {request.host}")


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _repro_error(error: ReproError) -> tuple[str, int]:
    status = 500
    if isinstance(error, LookupError):
        status = 404
    elif isinstance(error, UsageError):
        status = 400
    return _error_page(status, str(error)), status


def _http_error(error: HTTPException) -> tuple[str, int]:
    from flask import request

    status = error.code or 500
    message = f"there is no page at {request.path}" if status == 404 else str(error.description)
    return _error_page(status, message), status


def _error_page(status: int, message: str) -> str:
    return render_template("error.html", status=status, message=message)
