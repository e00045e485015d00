"""The real Docker engine, base image and image registry the Docker tests use.

``scripts/services.sh`` starts all three (``make test`` calls it). A test
that needs a missing one is skipped with the command that would start it,
and a skip fails under ``CI=true`` (see conftest).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from repro.images.engine import DockerSdkMissingError, DockerUnavailableError, docker_client

if TYPE_CHECKING:
    from docker import DockerClient

__all__ = [
    "BASE_IMAGE",
    "REGISTRY",
    "TEST_LABEL",
    "base_image",
    "container_label",
    "docker_engine",
    "import_tiny_image",
    "manifest_digest",
    "push_to_registry",
    "registry",
    "remove_containers",
]

BASE_IMAGE = "repro-base:bookworm"
REGISTRY = "127.0.0.1:5000"
# Containers a test starts carry this label, so that cleanup finds them
# even when the code under test dies before removing them.
TEST_LABEL = "repro.test"
START_HINT = "as root, `bash scripts/services.sh docker` starts what the Docker tests need"
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.manifest.v1+json"
)
# Loopback must never go through a proxy the environment may name.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[DockerClient]:
    try:
        client = docker_client()
    except (DockerUnavailableError, DockerSdkMissingError) as exc:
        pytest.skip(f"{exc}; {START_HINT}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def base_image(docker_engine: DockerClient) -> str:
    from docker.errors import ImageNotFound

    try:
        docker_engine.images.get(BASE_IMAGE)
    except ImageNotFound:
        pytest.skip(f"the engine has no image {BASE_IMAGE}; {START_HINT}")
    return BASE_IMAGE


@pytest.fixture(scope="session")
def registry() -> str:
    try:
        with _opener.open(f"http://{REGISTRY}/v2/", timeout=5):
            pass
    except OSError as exc:  # URLError and HTTPError are OSErrors
        pytest.skip(f"no image registry answers at {REGISTRY} ({exc}); {START_HINT}")
    return REGISTRY


@pytest.fixture
def container_label(docker_engine: DockerClient) -> Iterator[str]:
    """A value for the ``repro.test`` label, unique to the test; every
    container carrying it is removed afterwards."""
    value = f"repro-test-{uuid.uuid4().hex}"
    yield value
    remove_containers(docker_engine, f"{TEST_LABEL}={value}")


def remove_containers(client: DockerClient, label: str) -> None:
    """Force-removes every container matching ``label`` (Docker's label
    filter: ``key`` or ``key=value``), running or not."""
    from docker.errors import NotFound

    for container in client.containers.list(all=True, filters={"label": label}):
        with contextlib.suppress(NotFound):  # removed meanwhile, e.g. by auto-remove
            container.remove(force=True)


def push_to_registry(
    client: DockerClient, image: str, repository: str, *, tag: str = "latest"
) -> str:
    """Tags the local ``image`` as ``repository:tag``, pushes it and returns
    the repository digest reference ``repository@sha256:...`` the engine
    recorded for the push."""
    local = client.images.get(image)
    local.tag(repository, tag)
    for event in client.api.push(repository, tag=tag, stream=True, decode=True):
        if "error" in event:
            raise AssertionError(f"push of {repository}:{tag} failed: {event['error']}")
    local.reload()
    digests = [d for d in local.attrs["RepoDigests"] if d.startswith(f"{repository}@")]
    if not digests:
        raise AssertionError(f"no repository digest for {repository} after the push")
    return str(digests[0])


def import_tiny_image(client: DockerClient, repository: str, content: bytes) -> str:
    """An image of one file, ``/content``, made without a base image: it
    pushes in well under a second, where the base image takes ~20 s.
    Returns ``repository:latest``."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("content")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    client.api.import_image_from_data(data.getvalue(), repository=repository, tag="latest")
    return f"{repository}:latest"


def manifest_digest(registry: str, name: str, reference: str) -> str | None:
    """The digest the registry serves for ``name`` (the repository path
    without the registry host) at ``reference`` (tag or digest), or None
    when it has no such manifest."""
    request = urllib.request.Request(
        f"http://{registry}/v2/{name}/manifests/{reference}",
        method="HEAD",
        headers={"Accept": MANIFEST_TYPES},
    )
    try:
        with _opener.open(request, timeout=10) as response:
            return str(response.headers["Docker-Content-Digest"])
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


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
