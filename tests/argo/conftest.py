"""Fixtures of the Argo tests: the fake Argo Server, and the flow project
set up for the argo backend (its image pinned, an S3 remote on loopback,
the credentials Secret named)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argo_project_testing import configure_argo
from argo_schema import crd_expected
from argo_server_testing import FakeArgoServer, argo_server  # noqa: F401
from pipeline_testing import commit_all, make_flow_project
from repro_testing import git
from s3_testing import S3Server

# The CRD check's own tests read the CRDs: where they are absent (a clone
# with no ../shared), they are not collected rather than skipped, and the
# SDK check alone keeps the validators' contract.
collect_ignore = [] if crd_expected() else ["test_argo_crd.py"]


@pytest.fixture
def argo_project(tmp_path: Path, s3_server: S3Server) -> Iterator[Path]:
    """The flow project whose steps run in a pinned image on argo, with an
    S3 remote. The image is a fixed digest: rendering never pulls it."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root, commit=False)
    configure_argo(root, s3_server, "registry.example/flow@sha256:" + "ab" * 32)
    commit_all(root, "flow project for argo")
    yield root
