"""Helpers for tests: real Git commands and file-tree builders."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "repro tests",
    "GIT_AUTHOR_EMAIL": "tests@repro.invalid",
    "GIT_COMMITTER_NAME": "repro tests",
    "GIT_COMMITTER_EMAIL": "tests@repro.invalid",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def age(path: Path, seconds: float = 60.0) -> None:
    """Backdate every file under ``path`` so the stat cache may keep it
    (files modified in the last two seconds are never cached)."""
    stamp = os.stat(path).st_mtime - seconds
    targets = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for target in targets:
        os.utime(target, (stamp, stamp), follow_symlinks=False)


def write_files(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root
