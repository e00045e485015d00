"""Files Python code opens, seen through Python's audit hooks: the inputs a
pipeline's module reads while it is imported (``params.yaml`` read at
module level, as DVC users do) that no declaration names.

Every ``open`` (``open()``, ``Path.read_text``, ``io.open_code``,
``os.open``, and so whatever a library opens through them: ``pd.read_csv``,
``yaml.safe_load(open(...))``) raises the audit event ``open``. While a
recording is active in the current context, each such file is kept when it
lies inside the project and outside what is never an input:

- ``.git/``, ``.repro/``, ``__pycache__/``, virtualenvs (``.venv*``,
  ``site-packages``, ``dist-packages``): the environment fingerprint and
  Git cover them;
- files outside the project root: the environment covers the interpreter
  and its packages; data outside the project is declared as a dataset.

Each read is attributed to the innermost project file on the stack (the
module whose code opened it, perhaps through a library), so that a step's
key can hold only the reads of the modules its code reaches. A file opened
for writing is kept apart: it is not an input.

Audit hooks cannot be removed, so one is installed once per process and
does nothing while no recording is active.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from repro.snapshot import StatCache

__all__ = ["Reads", "file_id", "is_never_an_input", "project_path", "recording_reads"]

_NEVER_INPUT_PARTS = frozenset({".git", ".repro", "__pycache__", "site-packages", "dist-packages"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@dataclass
class Reads:
    """What a recording saw, project-relative POSIX paths."""

    root: str
    # path -> the project files whose code opened it (None: no project
    # code on the stack, e.g. a library reading a file at its own import).
    read: dict[str, set[str | None]] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)
    # Programs the code started (subprocess, os.system): what they open is
    # not seen by an audit hook.
    processes: set[str] = field(default_factory=set)
    closed: bool = False

    def saw(self, path: Any, mode: Any, flags: Any, frame: FrameType | None) -> None:
        relative = self._relative(path)
        if relative is None:
            return
        if _writes(mode, flags):
            self.written.add(relative)
            return
        self.read.setdefault(relative, set()).add(self._reader(frame))

    def _relative(self, path: Any) -> str | None:
        if isinstance(path, int) or path is None:
            return None  # a descriptor: its file was opened (and seen) before
        text = os.fsdecode(os.fspath(path))
        return project_path(self.root, os.path.join(os.getcwd(), text))

    def _reader(self, frame: FrameType | None) -> str | None:
        while frame is not None:
            name = frame.f_code.co_filename
            # "<string>", "<frozen importlib._bootstrap>": no file of the project.
            file = "" if name.startswith("<") else os.path.realpath(name)
            if file.startswith(self.root + os.sep):
                relative = os.path.relpath(file, self.root).replace(os.sep, "/")
                if not is_never_an_input(relative):
                    return relative
            frame = frame.f_back
        return None


def project_path(root: str, path: str) -> str | None:
    """``path`` relative to the project ``root`` (a real path), POSIX-style;
    None outside it or where the rules above leave it out. A path whose name
    lies outside the project is left out before any symlink is resolved:
    an import opens a thousand files of site-packages, and resolving each
    would cost more than the opens (a link from outside into the project
    is not followed)."""
    if not os.path.normpath(path).startswith(root + os.sep):
        return None
    absolute = os.path.realpath(path)
    if not absolute.startswith(root + os.sep):
        return None
    relative = os.path.relpath(absolute, root).replace(os.sep, "/")
    return None if is_never_an_input(relative) else relative


def file_id(path: str, algorithm: str, stat_cache: StatCache | None = None) -> str | None:
    """The file's object id, a stat when the stat cache knows it (a step's
    discovered input may be a large data file); None when it is no file."""
    from repro.errors import ReproError
    from repro.snapshot import snapshot

    if not os.path.isfile(path):
        return None
    try:
        return snapshot(path, algorithm=algorithm, stat_cache=stat_cache).oid
    except (OSError, ReproError):
        return None


def is_never_an_input(relative: str) -> bool:
    """True for a project-relative path that the rules above leave out."""
    parts = relative.split("/")
    return any(part in _NEVER_INPUT_PARTS or part.startswith(".venv") for part in parts)


def _writes(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str):
        return any(letter in mode for letter in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


_current: ContextVar[Reads | None] = ContextVar("repro_reads", default=None)
# Threads started while a recording was active, in its thread or in one of
# these: a new thread starts with an empty context, and the files a step
# reads on a pool of its own are the step's.
_owned: weakref.WeakKeyDictionary[threading.Thread, Reads] = weakref.WeakKeyDictionary()
_installed = False
_install_lock = threading.Lock()
_PROCESS_EVENTS = {
    "subprocess.Popen": 1,  # (executable, args, cwd, env): executable is often None
    "os.system": 0,
    "os.posix_spawn": 0,
    "os.exec": 0,
    "os.spawn": 1,
}


def _recording() -> Reads | None:
    reads = _current.get()
    if reads is None and _owned:
        reads = _owned.get(threading.current_thread())
    return None if reads is None or reads.closed else reads


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" and event not in _PROCESS_EVENTS:
        return
    reads = _recording()
    if reads is None:
        return
    # An audit hook that raised would fail the user's own open.
    with contextlib.suppress(Exception):
        if event == "open":
            reads.saw(args[0], args[1], args[2], sys._getframe(1))
        else:
            reads.processes.add(_program(args[_PROCESS_EVENTS[event]]))


_thread_start = threading.Thread.start


def _start_owned(thread: threading.Thread) -> None:
    # Python 3.11 raises no audit event when a thread starts: Thread.start
    # is wrapped instead, once, with the hook.
    reads = _recording()
    if reads is not None:
        _owned[thread] = reads
    _thread_start(thread)


def _program(command: Any) -> str:
    """The program a process event names (its first word)."""
    if isinstance(command, list | tuple):
        command = command[0] if command else ""
    text = os.fsdecode(command) if isinstance(command, bytes | os.PathLike) else str(command)
    return os.path.basename(text.split()[0]) if text.split() else text


def _install() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_audit)
            threading.Thread.start = _start_owned  # type: ignore[method-assign,assignment]
            _installed = True


@contextmanager
def recording_reads(root: str) -> Iterator[Reads]:
    """Records the files the code run inside the block opens under ``root``
    (in this thread and context, and in the threads started from them
    while it lasts)."""
    _install()
    reads = Reads(os.path.realpath(root))
    token = _current.set(reads)
    try:
        yield reads
    finally:
        reads.closed = True  # threads it started that outlive it read for no one
        _current.reset(token)
