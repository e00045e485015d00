"""Rendering for the CLI: plain lines and JSON, with rich progress bars only
on a terminal (and never in the way of ``--json`` on stdout). rich is
imported only for those bars: it costs 40 ms of every command's start-up.

A reader that goes away (``repro run | head -1``) never changes what a
command does: ``forgiving_streams`` makes stdout and stderr drop what can no
longer be written, and the command carries on and exits with its own
status. git and ls die of SIGPIPE instead (status 141); for repro that would
stop a run half-way or record it as failed because nobody read its
progress, and a script under ``set -o pipefail`` should learn whether the
run failed, not whether its log was read."""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from repro.views.formats import human_size

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = [
    "forgiving_streams",
    "human_size",
    "one_line",
    "print_json",
    "printable",
    "progress_bar",
    "say",
    "say_err",
    "transfer_bar",
]


# What a name could use to break or rewrite a line of output: C0 and C1
# controls (newline, carriage return, the ESC of terminal sequences), DEL,
# Unicode's line and paragraph separators, and lone surrogates (a name's
# undecodable bytes, which a UTF-8 stream cannot even print).
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
_UNPRINTABLE = re.compile(f"[{_CONTROLS}]")
# As git quotes a name: a quote or backslash in it is escaped too, so that
# the quoted form reads back as exactly one name.
_NEEDS_QUOTES = re.compile(f'[{_CONTROLS}"\\\\]')
_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}


def printable(name: str) -> str:
    """A path or name that comes from a file, a record or a tree, fit to
    print as part of one line, quoted as git quotes it: as it is, unless it
    holds a control character, a quote or a backslash; then in double
    quotes with those escaped (``"a\\nb"``, ``"\\x1b[2J"``). A file name
    can then never fake a line of output or drive the terminal."""
    if _NEEDS_QUOTES.search(name) is None:
        return name
    return '"' + _NEEDS_QUOTES.sub(_escape, name) + '"'


def one_line(text: str) -> str:
    """A message that embeds such names (an error, a reason), with their
    control characters escaped as in ``printable``: it stays one line."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _ESCAPES.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


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


def forgiving_streams() -> None:
    """Make ``sys.stdout`` and ``sys.stderr`` drop what their reader can no
    longer take (a closed pipe) instead of raising, for every writer in the
    process: repro's lines, rich, click, and the prints of steps running in
    it. Called once, first thing, by the ``repro`` executable."""
    sys.stdout = _forgiving(sys.stdout, 1)
    sys.stderr = _forgiving(sys.stderr, 2)


def _forgiving(stream: TextIO | None, fd: int) -> TextIO:
    if stream is None or _reader_gone(fd):
        # Started with the fd closed (``>&-``): the next file repro opens
        # would take its number and receive what is printed. Or the
        # reader left before repro began (``| head -0``): the processes
        # steps start would inherit a dead pipe.
        _point_at_devnull(fd)
    if stream is None:
        return io.TextIOWrapper(_DroppingWriter(fd), "utf-8", "backslashreplace", None, True)
    stream.flush()
    return io.TextIOWrapper(
        _DroppingWriter(fd),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=bool(stream.line_buffering),
        # Unbuffered (python -u) stays unbuffered: each write reaches the fd.
        write_through=bool(getattr(stream, "write_through", False)),
    )


def _reader_gone(fd: int) -> bool:
    """Whether ``fd`` is closed, or a pipe or socket no one reads any more."""
    import select

    try:
        os.fstat(fd)
    except OSError:
        return True
    if not hasattr(select, "poll"):  # Windows: found out at the first write
        return False
    poll = select.poll()
    poll.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poll.poll(0))


def _point_at_devnull(fd: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    if devnull != fd:  # a closed ``fd`` is the lowest free number: it is reused
        os.dup2(devnull, fd)
        os.close(devnull)


class _DroppingWriter(io.RawIOBase):
    """File descriptor ``fd``, written whole; once its reader has gone it
    points at /dev/null: what no one can read is dropped, and the processes
    started afterwards inherit /dev/null, not a dead pipe. It never closes
    ``fd`` (the interpreter's own stream object owns it)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    @property
    def name(self) -> int:
        return self._fd

    def read(self, size: int = -1, /) -> bytes:
        raise io.UnsupportedOperation("not readable")

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data).cast("B")
        size = len(view)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except BrokenPipeError:
            _point_at_devnull(self._fd)
        return size
