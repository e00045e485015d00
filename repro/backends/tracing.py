"""The files a shell step's process tree opens and writes, seen by
``strace`` (Debian's ``strace`` package): a command that reads a helper or
a config file it was not told about, or writes outside its declared outs,
is seen as a Python step is through the audit hooks.

``strace -y`` prints each call's directory descriptor with the directory
it stands for (``AT_FDCWD</proj/sub>``), so a relative path resolves in
the folder the process was in when it opened it, whatever it ``cd``'d to.
``--seccomp-bpf`` stops the process only at the traced calls: a step that
opens 1,000 files costs a little over an untraced run, not twice as much.

Only path-taking calls that open, create or rename files are traced;
``stat`` and ``readdir`` are not (a listing is not an input until a file
of it is opened)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Accesses", "parse_trace", "traced", "tracer"]

_CALLS = "open,openat,openat2,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat"
_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")
# pid, call, arguments, result: `1234 openat(AT_FDCWD</p>, "a", O_RDONLY) = 3</p/a>`
_LINE = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)\)\s+=\s+(-?\d+|\?)")
_DIRFD = re.compile(r"(?:AT_FDCWD|\d+)<((?:[^>\\]|\\.)*)>")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_UNFINISHED = " <unfinished ...>"
_RESUMED = re.compile(r"^(\d+) <\.\.\. \w+ resumed>(.*)$")


@dataclass
class Accesses:
    """Absolute paths a process tree opened to read, and wrote (opened for
    writing, created, or made by a rename or link)."""

    read: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)


@lru_cache(maxsize=1)
def tracer() -> str | None:
    """The ``strace`` that works here: where ptrace is refused (some
    containers), it is as if there were none."""
    found = shutil.which("strace")
    if found is None:
        return None
    try:
        probe = subprocess.run(
            [found, "-f", "-qq", "--seccomp-bpf", "-o", os.devnull, "true"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if probe.returncode == 0 else None


def traced(command: list[str], trace_file: str, strace: str) -> list[str]:
    """``command`` run under ``strace``, its calls written to ``trace_file``."""
    return [
        strace,
        "-f",  # the whole process tree
        "-qq",
        "--seccomp-bpf",
        "-y",  # directory descriptors with their paths
        "-s",
        "65535",  # whole paths, however long
        "-e",
        f"trace={_CALLS}",
        "-e",
        "signal=none",
        "-o",
        trace_file,
        *command,
    ]


def parse_trace(text: str, cwd: str) -> Accesses:
    """What the trace saw; ``cwd`` is where the traced command started (for
    a call with no directory descriptor, e.g. ``open``, before its process
    showed another)."""
    accesses = Accesses()
    where: dict[str, str] = {}
    for line in _whole_calls(text):
        match = _LINE.match(line)
        if match is None:
            continue  # "<unfinished ...>" halves, exits, signals
        pid, call, arguments, result = match.groups()
        folders = [_unescape(found) for found in _DIRFD.findall(arguments)]
        if arguments.startswith("AT_FDCWD<"):
            where[pid] = folders[0]  # the process's current folder, as it is now
        paths = [_unescape(found) for found in _STRING.findall(_without_dirfds(arguments))]
        base = folders[0] if folders else where.get(pid, cwd)
        _account(accesses, call, arguments, result, paths, base, folders)
    return accesses


def _whole_calls(text: str) -> Iterator[str]:
    """Each call on one line: with ``-f`` a call another process
    interrupted is split in two, ``1 openat(... <unfinished ...>`` and, later,
    ``1 <... openat resumed>) = 3``."""
    pending: dict[str, str] = {}
    for line in text.splitlines():
        if line.endswith(_UNFINISHED):
            pid = line.split(" ", 1)[0]
            pending[pid] = line[: -len(_UNFINISHED)]
            continue
        resumed = _RESUMED.match(line)
        if resumed is not None:
            pid, rest = resumed.groups()
            if pid in pending:
                yield pending.pop(pid) + rest
            continue
        yield line


def _account(
    accesses: Accesses,
    call: str,
    arguments: str,
    result: str,
    paths: list[str],
    base: str,
    folders: list[str],
) -> None:
    if not paths:
        return
    first = os.path.normpath(os.path.join(base, paths[0]))
    if call in ("open", "openat", "openat2", "creat"):
        if "O_DIRECTORY" in arguments:
            return
        if call == "creat" or any(flag in arguments for flag in _WRITE_FLAGS):
            if result != "-1":
                accesses.written.add(first)
        else:
            # A failed open counts: a file the step looked for and did not
            # find is an input too (it may appear).
            accesses.read.add(first)
        return
    if result == "-1" or len(paths) < 2:
        return
    # rename/link(old, new), renameat(dfd, old, dfd, new), symlink(target, new):
    # the second path is the one made.
    second_base = folders[1] if len(folders) > 1 else base
    accesses.written.add(os.path.normpath(os.path.join(second_base, paths[1])))


def _without_dirfds(arguments: str) -> str:
    return _DIRFD.sub("", arguments)


def _unescape(text: str) -> str:
    """strace's C-style escapes (``\\"``, ``\\n``, ``\\x..``) back to the path."""
    if "\\" not in text:
        return text
    try:
        raw = text.encode("latin-1").decode("unicode_escape")
        return os.fsdecode(raw.encode("latin-1"))
    except (UnicodeError, ValueError):
        return text
