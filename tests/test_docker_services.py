"""The services scripts/services.sh starts do what the Docker tests
rely on: an engine that answers, a base image with Python that runs without
network, and a registry that gives real repository digests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from docker_testing import (
    TEST_LABEL,
    import_tiny_image,
    manifest_digest,
    push_to_registry,
    remove_containers,
)

if TYPE_CHECKING:
    from docker import DockerClient


def run_python(client: DockerClient, image: str, label: str, code: str) -> str:
    output = client.containers.run(
        image,
        ["python3", "-c", code],
        network_mode="none",
        labels={TEST_LABEL: label},
        remove=True,
    )
    return bytes(output).decode().strip()


@pytest.fixture
def scratch_repository(docker_engine: DockerClient, registry: str) -> Iterator[str]:
    """A fresh repository name on the test registry; its local tags are
    removed afterwards."""
    repository = f"{registry}/repro-tests/services-{uuid.uuid4().hex[:12]}"
    yield repository
    for image in docker_engine.images.list(name=repository):
        for tag in image.tags:
            docker_engine.images.remove(tag, force=True)


def test_engine_answers_ping(docker_engine: DockerClient) -> None:
    assert docker_engine.ping() is True


def test_base_image_has_python_311(
    docker_engine: DockerClient, base_image: str, container_label: str
) -> None:
    code = "import sys; print(*sys.version_info[:2])"
    version = run_python(docker_engine, base_image, container_label, code)
    assert tuple(int(part) for part in version.split()) >= (3, 11)


def test_base_image_runs_without_network(
    docker_engine: DockerClient, base_image: str, container_label: str
) -> None:
    code = "import os; print(*sorted(os.listdir('/sys/class/net')))"
    assert run_python(docker_engine, base_image, container_label, code) == "lo"


def test_pushed_image_digest_is_the_one_the_registry_serves(
    docker_engine: DockerClient, registry: str, scratch_repository: str
) -> None:
    image = import_tiny_image(docker_engine, scratch_repository, uuid.uuid4().bytes)
    reference = push_to_registry(docker_engine, image, scratch_repository)
    repository, digest = reference.split("@")
    name = repository.removeprefix(f"{registry}/")
    assert (repository, manifest_digest(registry, name, "latest")) == (scratch_repository, digest)


def test_remove_containers_removes_stopped_and_running_ones(
    docker_engine: DockerClient, base_image: str, container_label: str
) -> None:
    labels = {TEST_LABEL: container_label}
    docker_engine.containers.create(base_image, ["true"], labels=labels)
    docker_engine.containers.run(
        base_image, ["sleep", "60"], labels=labels, network_mode="none", detach=True
    )
    selector = f"{TEST_LABEL}={container_label}"
    remove_containers(docker_engine, selector)
    assert docker_engine.containers.list(all=True, filters={"label": selector}) == []
