"""Rendering for the CLI: plain lines and JSON, with rich progress bars only
on a terminal (and never in the way of ``--json`` on stdout). rich is
imported only for those bars: it costs 40 ms of every command's start-up."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["print_json", "progress_bar", "say", "say_err"]


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def say_err(text: str) -> None:
    sys.stderr.write(text + "\n")


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True) + "\n")


@contextmanager
def progress_bar(
    description: str, total: int | None, unit: str = "files"
) -> Iterator[Callable[[int], None]]:
    """A callback advancing a bar on stderr; a no-op when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield lambda _count: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeRemainingColumn(),
    )
    from rich.console import Console

    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda count: progress.advance(task, count)
