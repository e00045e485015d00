"""Typer wiring of ``repro image``: build, resolve, show. Each parses, calls
one function of ``repro.images`` and renders."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption

__all__ = ["register"]

image_app = typer.Typer(
    help="Container images pinned by digest: build the project's, resolve a tag, show the "
    "configured one.",
    no_args_is_help=True,
)


@image_app.command("build")
def build(
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            "-f",
            help="Your Dockerfile (the project root is the build context; .repro/ is left "
            "out, .dockerignore honoured). "
            "Default: one generated from \\[tool.repro.docker] base, the project's requirements "
            "lock and repro itself.",
        ),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="Tag in the configured repository (default: a content tag)."),
    ] = None,
    no_push: Annotated[
        bool,
        typer.Option("--no-push", help="Do not push, even when the repository names a registry."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Build the project's image, push it when a registry is configured, and record its
    pinned reference as \\[tool.repro] image in pyproject.toml."""
    from repro.images.build import build_image
    from repro.images.engine import docker_client
    from repro.project import find_project

    root = find_project().root
    dockerfile = os.path.abspath(file) if file is not None else None
    result = build_image(
        root,
        dockerfile=dockerfile,
        tag=tag,
        push=not no_push,
        client=docker_client(),
        progress=_show,
    )
    if as_json:
        output.print_json(
            {
                "pinned": result.pinned,
                "image_id": result.image_id,
                "tagged": result.tagged,
                "pushed": result.pushed,
                "recorded_in": result.recorded_in,
            }
        )
        return
    output.say(result.pinned)
    pushed = "pushed" if result.pushed else "local only, not pushed"
    where = os.path.relpath(result.recorded_in)
    output.say(f"built {result.tagged} ({pushed}); recorded as [tool.repro] image in {where}")


def _show(line: str) -> None:
    """Build progress on a terminal: the steps, not every line of their output."""
    if sys.stderr.isatty() and line.startswith(("Step ", "wheels:", "building", "pushing")):
        output.say_err(line)


@image_app.command("resolve")
def resolve(
    reference: Annotated[str, typer.Argument(help="NAME[:TAG] or NAME@sha256:DIGEST.")],
    as_json: JsonOption = False,
) -> None:
    """Print the pinned form (NAME@sha256:DIGEST) of REFERENCE, pulling it if needed."""
    from repro.images.engine import docker_client
    from repro.images.resolve import pin_image

    pinned = pin_image(reference, docker_client())
    if as_json:
        output.print_json({"reference": reference, "pinned": pinned})
    else:
        output.say(pinned)


@image_app.command("show")
def show(as_json: JsonOption = False) -> None:
    """Show the configured image, whether it is pinned, and the build settings."""
    from repro.images.reference import parse_image_ref
    from repro.images.settings import load_docker_settings
    from repro.project import find_project

    root = find_project().root
    settings = load_docker_settings(root)
    pinned = settings.image is not None and parse_image_ref(settings.image).pinned
    if as_json:
        output.print_json(
            {
                "image": settings.image,
                "pinned": pinned,
                "base": settings.base,
                "repository": settings.repository,
                "registry": settings.registry,
                "requirements": settings.requirements,
            }
        )
        return
    for label, value in _show_lines(root, settings, pinned):
        output.say(f"{label:<13}{value}")


def _show_lines(root: str, settings: Any, pinned: bool) -> list[tuple[str, str]]:
    if settings.image is None:
        image = "none (`repro image build` makes one and records it)"
    elif pinned:
        image = f"{settings.image} (pinned)"
    else:
        image = f"{settings.image} (not pinned: `repro image resolve` prints its digest)"
    registry = f"pushed to {settings.registry}" if settings.registry else "local only"
    requirements = (
        os.path.relpath(settings.requirements, root)
        if settings.requirements
        else "none: the installed versions of repro's requirements"
    )
    return [
        ("image", image),
        ("base", settings.base),
        ("repository", f"{settings.repository} ({registry})"),
        ("requirements", requirements),
    ]


def register(app: typer.Typer) -> None:
    app.add_typer(image_app, name="image")
