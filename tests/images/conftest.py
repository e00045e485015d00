"""Fixtures of the image tests: tiny images made on the spot (unique per
test) and removed afterwards. The engine, base image and registry come
from tests/docker_testing.py."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from docker_testing import import_tiny_image
from image_testing import TinyImage, remove_image

if TYPE_CHECKING:
    from docker import DockerClient


@pytest.fixture
def tiny_image(docker_engine: DockerClient) -> Iterator[TinyImage]:
    """Makes an image of unique content tagged ``NAME:TAG``; returns its id.
    Every image made is removed afterwards."""
    made: list[str] = []

    def make(tagged: str) -> str:
        name, _, tag = tagged.rpartition(":")
        latest = import_tiny_image(docker_engine, name, uuid.uuid4().bytes)
        image = docker_engine.images.get(latest)
        made.append(str(image.id))
        if tag != "latest":
            image.tag(name, tag)
            docker_engine.images.remove(latest)  # only the tag: the image keeps NAME:TAG
        return str(image.id)

    yield make
    for image_id in made:
        remove_image(docker_engine, image_id)


@pytest.fixture
def unique() -> str:
    """A name part no other test (or earlier run) uses."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
