from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_testing import make_flow_project


@pytest.fixture
def flow(git_repo: Path) -> Path:
    """The four-step flow project, committed, in a real Git repository."""
    return make_flow_project(git_repo)
