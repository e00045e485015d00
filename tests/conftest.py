"""Fixtures shared by every test folder: real Git repositories in temp dirs,
a real S3 server, and the Docker engine, base image and registry (defined in
docker_testing, imported here so that every test folder sees them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from ci_testing import dev, dev_template  # noqa: F401
from docker_testing import (  # noqa: F401
    base_image,
    container_label,
    docker_engine,
    registry,
    repro_image,
)
from mlflow_testing import mlflow_server  # noqa: F401
from repro_testing import GIT_ENV, git
from s3_testing import S3Server, start_s3_server
from ui_testing import (  # noqa: F401
    busy_port,
    chromium,
    page,
    ui_app,
    ui_client,
    ui_quickstart,
)

from repro.project import Project, init_project

# Under CI a skipped test fails: see strict_ci.
pytest_plugins = ["strict_ci"]


def pytest_configure(config: pytest.Config) -> None:
    """Every Git command the tests start, theirs or repro's, gets the same
    identity and none of the user's ~/.gitconfig (signing, hooks, templates),
    so that the suite passes on a fresh machine with no Git identity as it
    does on a configured one."""
    os.environ.update(GIT_ENV)
    os.environ["GIT_CONFIG_GLOBAL"] = os.devnull


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


@pytest.fixture
def project(git_repo: Path) -> Project:
    return init_project(str(git_repo)).project


@pytest.fixture
def strace() -> str:
    """A working strace (shell steps are traced with it)."""
    from repro.backends.tracing import tracer

    found = tracer()
    if found is None:
        pytest.skip("no working strace: as root: bash scripts/services.sh strace")
    return found


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-compatible server on loopback, one per test process."""
    server = start_s3_server()
    yield server
    server.stop()
