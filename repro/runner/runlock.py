"""One ``repro run`` at a time per project: two runs writing the same lock
and step results would race. The second waits and says so. ``repro gc``
takes the same lock, so that it never sweeps while a run is writing objects
it has not recorded yet."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from repro.errors import ReproError

__all__ = ["ProjectBusyError", "project_run_lock"]


class ProjectBusyError(ReproError):
    def __init__(self, holder: str, command: str) -> None:
        self.holder = holder
        self.command = command
        super().__init__(
            f"{holder} is running in this project; {command} waits for it unless "
            "--no-wait is given: try again when it has finished"
        )


@contextmanager
def project_run_lock(
    repro_dir: str,
    on_wait: Callable[[str], None],
    *,
    wait: bool = True,
    command: str | None = None,
) -> Iterator[None]:
    """Hold the project's run lock. ``command`` names the holder to whoever
    waits for it (a run by default); without ``wait``, a busy lock raises
    ``ProjectBusyError``."""
    folder = os.path.join(repro_dir, "tmp")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "run.lock")
    with open(path, "a+", encoding="utf-8") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(file)
            if not wait:
                raise ProjectBusyError(holder, command or "repro run") from None
            on_wait(f"waiting for {holder} in this project to finish")
            fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        file.truncate()
        file.write(str(os.getpid()) + (f" {command}" if command else ""))
        file.flush()
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def _holder(file: IO[str]) -> str:
    """Who holds the lock, from what it wrote: ``PID`` for a run, ``PID
    COMMAND`` for anything else."""
    file.seek(0)
    pid, _, command = file.read().strip().partition(" ")
    if not pid:
        return "another repro run"
    return f"{command or 'another repro run'} (pid {pid})"
