"""Running the real ``repro`` command in tests and reading its errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pipeline_testing import Result

Repro = Callable[..., Result]


def run_repro(cwd: Path, *args: str, prefix: tuple[str, ...] = (), timeout: float = 120) -> Result:
    env = {k: v for k, v in os.environ.items() if k != "REPRO_DEBUG"}
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "repro", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def one_line_error(result: Result) -> str:
    """The error line, after checking it is the only output and not a traceback."""
    assert result.code != 0, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ") and "Traceback" not in result.err
    return lines[0]
