"""Importing repro.drift, and storing other values, import neither pandas nor scipy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_PROBE = """
import sys
import repro.drift
from repro.drift import DriftReport, DriftThresholds, detect_drift
from repro.materialize import dump
from repro.store import ObjectStore, open_backend

dump({"a": 1}, ObjectStore(open_backend(sys.argv[1], fsync=False), "xxh3-128"))
print(",".join(m for m in ("pandas", "scipy", "numpy") if m in sys.modules))
"""


def test_importing_repro_drift_loads_nothing_heavy(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "store")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
