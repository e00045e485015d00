"""One ``repro run`` at a time per project: two runs writing the same lock
and step results would race. The second waits and says so."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["project_run_lock"]


@contextmanager
def project_run_lock(repro_dir: str, on_wait: Callable[[str], None]) -> Iterator[None]:
    folder = os.path.join(repro_dir, "tmp")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "run.lock")
    with open(path, "a+", encoding="utf-8") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "another process"
            on_wait(f"waiting for another repro run in this project to finish (pid {holder})")
            fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        file.truncate()
        file.write(str(os.getpid()))
        file.flush()
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
