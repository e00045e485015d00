"""The image each step runs in, pinned when a run is planned: on a
container backend a step's image (its own, else its pipeline's, else the
project's ``[tool.repro] image``) is resolved to a digest once, and that
digest is what the spec, the cache key, the record and the lock carry. On
the local backend steps run in this process, so no image is recorded."""

from __future__ import annotations

from collections.abc import Mapping

from repro.errors import UsageError
from repro.pipelines.graph import Graph

__all__ = [
    "CONTAINER_BACKENDS",
    "NoImageError",
    "UnpinnedImageError",
    "pin_step_images",
]

CONTAINER_BACKENDS = frozenset({"docker", "argo"})


class NoImageError(UsageError):
    def __init__(self, step: str, backend: str) -> None:
        self.step, self.backend = step, backend
        super().__init__(
            f"step {step!r} names no image to run in on the {backend} backend: give "
            "@step(image=...), @pipeline(image=...) or `image` under [tool.repro] in "
            "pyproject.toml (`repro image build` makes one and records it there)"
        )


class UnpinnedImageError(UsageError):
    def __init__(self, step: str, image: str) -> None:
        self.step, self.image = step, image
        super().__init__(
            f"step {step!r}: image {image!r} floats (latest); pin it by digest or a "
            "versioned tag for CI (`repro image resolve IMAGE` prints the pinned form)"
        )


def pin_step_images(
    graph: Graph,
    backend: str,
    *,
    root: str,
    default: str | None,
    recorded: Mapping[str, str | None] | None = None,
    refuse_latest: bool = False,
) -> None:
    """Set each node's ``image`` to the pinned reference it runs in (None on
    the local backend). ``recorded`` holds a replay's pins, used as they are;
    ``refuse_latest`` (CI) turns a floating ``latest`` into an error."""
    if refuse_latest:
        _refuse_latest(graph, default or _project_image(root))
    if backend not in CONTAINER_BACKENDS:
        for node in graph.nodes.values():
            node.image = None
        return
    fallback = default or _project_image(root)
    pinned: dict[str, str] = {}
    recorded = recorded or {}
    client = None
    for name, node in graph.nodes.items():
        if recorded.get(name):
            node.image = recorded[name]
            continue
        declared = node.image or fallback
        if not declared:
            raise NoImageError(name, backend)
        if declared not in pinned:
            from repro.images.engine import docker_client
            from repro.images.resolve import pin_image

            client = client or docker_client()
            pinned[declared] = pin_image(declared, client)
        node.image = pinned[declared]


def _refuse_latest(graph: Graph, fallback: str | None) -> None:
    """Whatever the backend: code naming a floating image is not reproducible."""
    from repro.images.reference import is_unpinned_latest

    for name, node in graph.nodes.items():
        declared = node.image or fallback
        if declared and is_unpinned_latest(declared):
            raise UnpinnedImageError(name, declared)


def _project_image(root: str) -> str | None:
    from repro.images.settings import load_docker_settings

    return load_docker_settings(root).image
