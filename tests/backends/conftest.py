"""Fixtures of the Docker backend tests: one image with repro from this
source tree (built once per machine and reused while nothing changed), and
projects that run in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from docker_backend_testing import containers_of
from pipeline_testing import commit_all, make_flow_project
from repro_testing import git


@pytest.fixture
def docker_project(tmp_path: Path, repro_image: str) -> Iterator[Path]:
    """The flow project with the runtime image as its default image; every
    container of its runs is gone afterwards."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q")
    make_flow_project(root, commit=False)
    with (root / "pyproject.toml").open("a") as file:
        file.write(f'\n[tool.repro]\nimage = "{repro_image}"\n')
    commit_all(root, "flow project in a container")
    yield root
    leftovers = containers_of(root)
    assert not leftovers, f"containers left behind: {leftovers}"
