"""Typer wiring of ``repro ui``: the read-only web app. Flask is imported
only when the command runs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from repro.cli import output
from repro.ui.server import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from repro.ui.server import Served

__all__ = ["register"]


def ui(
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on (0: any free).")
    ] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Anything but loopback lets others read every run.",
        ),
    ] = DEFAULT_HOST,
) -> None:
    """Browse runs, their pins, DAGs, outputs, lineage, models and snapshots in a
    local, read-only web app (Ctrl-C stops it)."""
    from repro.project import find_project
    from repro.ui.app import create_app
    from repro.ui.server import is_loopback, serve

    app = create_app(find_project(), loopback_only=is_loopback(host))
    if not is_loopback(host):
        _warn_exposed(host)
    serve(app, host, port, _announce)


def _warn_exposed(host: str) -> None:
    output.say_err(
        f"warning: serving on {host}: anyone who can reach this machine can read "
        "every run, artifact and snapshot of this project (there is no login)"
    )


def _announce(served: Served) -> None:
    output.say(f"repro ui: {served.url} (read-only; Ctrl-C stops it)")
    sys.stdout.flush()  # the line may be all a supervising process waits for


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)
