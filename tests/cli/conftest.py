from __future__ import annotations

from pathlib import Path

import pytest
from cli_testing import Repro, Result, run_repro


@pytest.fixture
def repro(git_repo: Path) -> Repro:
    """Runs the real ``repro`` command in an initialized project."""
    assert run_repro(git_repo, "init").code == 0

    def call(*args: str, prefix: tuple[str, ...] = ()) -> Result:
        return run_repro(git_repo, *args, prefix=prefix)

    return call
