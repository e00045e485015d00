"""`repro --help` must stay light: the heavy libraries load only when used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "pandas",
    "docker",
    "hera",
    "mlflow",
    "numpy",
    "fsspec",
    "git",
    "sqlite3",
    "matplotlib",
    "grandalf",
)

_PROBE = """
import sys
from repro.cli.main import run
sys.argv = ["repro", *sys.argv[1:]]
try:
    run()
except SystemExit:
    pass
print("LOADED=" + ",".join(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _loaded(*args: str) -> set[str]:
    probe = _PROBE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True)
    line = next(line for line in done.stderr.splitlines() if line.startswith("LOADED="))
    return {name for name in line.removeprefix("LOADED=").split(",") if name}


def test_help_imports_nothing_heavy() -> None:
    assert _loaded("--help") == set()


def test_version_imports_nothing_heavy() -> None:
    assert _loaded("--version") == set()
