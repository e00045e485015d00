"""Rendering for the CLI: JSON for machines, rich for people, progress bars
only on a terminal (and never in the way of ``--json`` on stdout)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["console", "error_console", "print_json", "progress_bar"]


def console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def error_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


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
    with Progress(*columns, console=error_console(), transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda count: progress.advance(task, count)
