"""Importing repro.materialize, and storing a plain value, load nothing heavy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("pandas", "numpy", "sklearn", "skops", "pyarrow", "scipy")

_PROBE = """
import sys
import repro.materialize
{action}
print("LOADED=" + ",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""

_DUMPS = """
from repro.materialize import NoMaterializerError, dump
from repro.store import ObjectStore, open_backend

store = ObjectStore(open_backend(sys.argv[1], fsync=False), "xxh3-128")
dump(5, store)
dump("text", store)
dump({"a": [1.5, None]}, store)
try:
    dump(object(), store)  # every materializer is asked, none may import its library
except NoMaterializerError:
    pass
"""


def _loaded(action: str, tmp_path: Path) -> set[str]:
    probe = _PROBE.format(action=action, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "store")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("LOADED="))
    return {name for name in line.removeprefix("LOADED=").split(",") if name}


def test_import_loads_nothing_heavy(tmp_path: Path) -> None:
    assert _loaded("", tmp_path) == set()


def test_dumping_plain_values_loads_nothing_heavy(tmp_path: Path) -> None:
    assert _loaded(_DUMPS, tmp_path) == set()


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    assert _loaded("import numpy", tmp_path) == {"numpy"}
