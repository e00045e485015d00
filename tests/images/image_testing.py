"""Helpers of the image tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docker import DockerClient

TinyImage = Callable[[str], str]


def remove_image(client: DockerClient, image_id: str) -> None:
    from docker.errors import NotFound

    with contextlib.suppress(NotFound):
        client.images.remove(image_id, force=True)
