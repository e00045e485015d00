"""Fixtures of the Docker backend tests: one image with repro from this
source tree (built once per machine and reused while nothing changed), and
projects that run in it."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker_backend_testing import containers_of
from pipeline_testing import commit_all, make_flow_project
from repro_testing import git

RUNTIME_REPOSITORY = "repro-test-runtime"


@pytest.fixture(scope="session")
def repro_image(docker_engine: Any, base_image: str, tmp_path_factory: Any) -> str:
    """The pinned reference of an image of the base with repro (this tree)
    and its ML extras at the versions installed here. Workers build it one
    at a time: the second finds every layer cached."""
    from repro.images.build import build_image

    root = tmp_path_factory.mktemp("runtime-image")
    (root / "pyproject.toml").write_text(
        f'[tool.repro.docker]\nbase = "{base_image}"\nrepository = "{RUNTIME_REPOSITORY}"\n'
    )
    with open(os.path.join(tempfile.gettempdir(), "repro-test-image.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = build_image(str(root), push=False, client=docker_engine, tag="current")
    return result.pinned


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
