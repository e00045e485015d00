"""Typer wiring of ``repro check``: the gates behind the pre-commit hooks.
Each parses, calls ``repro.gates.run_check`` and prints one line per
finding; exit 1 when there is any."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption

if TYPE_CHECKING:
    from repro.gates import GateOptions, GateResult

__all__ = ["register"]

check_app = typer.Typer(
    help="Gates for commits (the pre-commit hooks): exit 1 with one line per finding, "
    "saying what is wrong and the command that fixes it. Outside a repro project they pass.",
    no_args_is_help=True,
)

PathsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="Paths whose repro projects to judge (default: the one holding this folder).",
        show_default=False,
    ),
]
FilesArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Files to look at (default: the staged files).", show_default=False),
]
MaxSizeOption = Annotated[
    str | None,
    typer.Option(
        "--max-size",
        help="Largest data file allowed in Git, e.g. 5MiB "
        "(default: \\[tool.repro.gates] large_file, else 1MiB).",
    ),
]
PythonOption = Annotated[
    str | None,
    typer.Option(
        "--python",
        help="The project's interpreter, which judges the lineage "
        "(default: .venv/bin/python, $VIRTUAL_ENV, python3 on PATH).",
    ),
]


def _options(max_size: str | None = None, python: str | None = None) -> GateOptions:
    from repro.gates import GateOptions
    from repro.gates.largedata import parse_size

    return GateOptions(None if max_size is None else parse_size(max_size), python)


def _finish(results: list[GateResult], as_json: bool, *, prefixed: bool = False) -> None:
    from repro.cli.gate_quick import render, render_json

    if as_json:
        output.say(render_json(results, prefixed=prefixed))
    else:
        for line in render(results, prefixed=prefixed):
            output.say(line)
    if not all(result.passed for result in results):
        raise typer.Exit(1)


def _run(name: str, paths: list[str] | None, options: GateOptions, as_json: bool) -> None:
    from repro.gates import run_check

    _finish([run_check(name, paths or [], options=options)], as_json)


@check_app.command("lineage")
def lineage(
    paths: PathsArgument = None, python: PythonOption = None, as_json: JsonOption = False
) -> None:
    """Fail when repro.lock is stale, or the objects of a run it pins are nowhere.

    Stale: code, data, params or environment changed, as the project's interpreter judges.

    Nowhere: in neither the local cache nor the default remote.

    PATHS: the projects to judge (default: the one holding this folder)."""
    _run("lineage", paths, _options(python=python), as_json)


@check_app.command("lock")
def lock(paths: PathsArgument = None, as_json: JsonOption = False) -> None:
    """Fail unless repro.lock parses, matches its schema and holds well-formed ids.

    PATHS: the projects to judge (default: the one holding this folder)."""
    _run("lock", paths, _options(), as_json)


@check_app.command("large-data")
def large_data(
    files: FilesArgument = None, max_size: MaxSizeOption = None, as_json: JsonOption = False
) -> None:
    """Fail when a staged data file is over the size limit: it belongs in the store.

    Each finding gives the commands that unstage the file and snapshot it instead.

    FILES: the files to look at (default: those staged)."""
    _run("large-data", files, _options(max_size=max_size), as_json)


@check_app.command("pinned")
def pinned(paths: PathsArgument = None, as_json: JsonOption = False) -> None:
    """Fail when an image is not pinned by digest, or Python has no lock file.

    Images: \\[tool.repro] image, and the image= of steps, pipelines and sh().

    Lock files: uv.lock, pylock.toml, poetry.lock, or requirements*.txt with hashes.

    PATHS: the projects to judge (default: the one holding this folder)."""
    _run("pinned", paths, _options(), as_json)


@check_app.command("all")
def check_all(
    files: FilesArgument = None,
    max_size: MaxSizeOption = None,
    python: PythonOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every gate in one process: lineage, lock, large-data, pinned.

    FILES go to large-data (default: those staged); the others judge their projects."""
    from repro.gates import run_checks

    _finish(run_checks(files or [], options=_options(max_size, python)), as_json, prefixed=True)


def register(app: typer.Typer) -> None:
    app.add_typer(check_app, name="check")
