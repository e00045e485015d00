"""Rendering for the CLI: plain lines and JSON, with rich progress bars only
on a terminal (and never in the way of ``--json`` on stdout). rich is
imported only for those bars: it costs 40 ms of every command's start-up."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from repro.views.formats import human_size

__all__ = ["human_size", "print_json", "progress_bar", "say", "say_err", "transfer_bar"]


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def say_err(text: str) -> None:
    sys.stderr.write(text + "\n")


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True) + "\n")


@contextmanager
def _rich_progress(unit: str) -> Iterator[Any]:
    from rich.console import Console
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
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield progress


@contextmanager
def progress_bar(
    description: str, total: int | None, unit: str = "files"
) -> Iterator[Callable[[int], None]]:
    """A callback advancing a bar on stderr; a no-op when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield lambda _count: None
        return
    with _rich_progress(unit) as progress:
        task = progress.add_task(description, total=total)
        yield lambda count: progress.advance(task, count)


class _TransferBar:
    def __init__(self, progress: Any, description: str) -> None:
        self._progress = progress
        self._description = description
        self._task: Any = None

    def start(self, objects: int) -> None:
        self._task = self._progress.add_task(self._description, total=objects)

    def advance(self, objects: int, size: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, objects)


class _Silent:
    def start(self, objects: int) -> None:
        pass

    def advance(self, objects: int, size: int) -> None:
        pass


@contextmanager
def transfer_bar(description: str) -> Iterator[_TransferBar | _Silent]:
    """Progress of a push or pull on stderr: objects moved out of those
    missing; silent when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield _Silent()
        return
    with _rich_progress("objects") as progress:
        yield _TransferBar(progress, description)
