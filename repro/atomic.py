"""Whole-file writes that a crash cannot leave half done: a temp file in the
same folder, renamed over the target."""

from __future__ import annotations

import os
import secrets

__all__ = ["write_atomic"]


def write_atomic(path: str, data: bytes, *, fsync: bool = False) -> None:
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    # Not mkstemp: its files are 0600; this one gets the umask's mode, as
    # any file the user writes (repro.lock is committed and shared).
    tmp = os.path.join(folder, f".tmp-{secrets.token_hex(8)}")
    try:
        with open(tmp, "xb") as file:
            file.write(data)
            if fsync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
