from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from venv_testing import REPRO, make_venv, wheelhouse

# What the projects of these tests import, and the one package that only
# the "laptop" has: nothing the projects declare or their steps import.
PROJECT_PACKAGES = (REPRO, "pyyaml")
UNRELATED = "six"


@dataclass(frozen=True)
class Venvs:
    laptop: Path  # bin folder: the project's packages plus UNRELATED
    ci: Path  # bin folder: the project's packages only


@pytest.fixture(scope="session")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> Venvs:
    """Two real virtual environments that differ only in UNRELATED, made
    once per test session (xdist's processes share them, under a file lock)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "portability-venvs"
    with open(shared / "portability-venvs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            wheels = wheelhouse([*PROJECT_PACKAGES, UNRELATED], folder / "wheels")
            make_venv(folder / "laptop", wheels, [*PROJECT_PACKAGES, UNRELATED])
            make_venv(folder / "ci", wheels, PROJECT_PACKAGES)
            (folder / "done").touch()
    return Venvs(folder / "laptop" / "bin", folder / "ci" / "bin")
