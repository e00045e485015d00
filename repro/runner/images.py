"""The image each step runs in, pinned when a run is planned: on a
container backend a step's image (its own, else its pipeline's, else the
project's ``[tool.repro] image``) is resolved to a digest once, and that
digest is what the spec, the cache key, the record and the lock carry. On
the local backend steps run in this process, so no image is recorded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repro.errors import UsageError
from repro.pipelines.graph import Graph

__all__ = [
    "CONTAINER_BACKENDS",
    "ImageNotPinnedError",
    "NoImageError",
    "UnpinnedImageError",
    "declared_by_digest",
    "pin_step_images",
    "refuse_floating_project_image",
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


class ImageNotPinnedError(UsageError):
    def __init__(self, step: str, image: str) -> None:
        self.step, self.image = step, image
        super().__init__(
            f"step {step!r}: image {image!r} is not pinned by digest, and a cluster pulls "
            "images by digest only; push it to a registry and pin it (`repro image build` "
            "with [tool.repro.docker] repository, or `repro image resolve IMAGE`)"
        )


def pin_step_images(
    graph: Graph,
    backend: str,
    *,
    root: str,
    default: str | None,
    recorded: Mapping[str, str | None] | None = None,
    refuse_latest: bool = False,
    offline: bool = False,
) -> bool:
    """Set each node's ``image`` to the pinned reference it runs in (None on
    the local backend); True when a declared image floats (``latest``).
    ``recorded`` holds a replay's pins, checked to exist but not resolved
    again; ``refuse_latest`` (CI) turns a floating image into an error;
    ``offline`` (status) takes a reference that carries its digest as its
    pin without asking the engine."""
    fallback = default or _project_image(root)
    floating = _floating(graph, fallback)
    if refuse_latest and floating:
        raise UnpinnedImageError(*floating[0])
    if backend not in CONTAINER_BACKENDS:
        for node in graph.nodes.values():
            node.image = None
        return bool(floating)
    if backend == "argo":
        _pin_for_cluster(graph, fallback, recorded or {})
        return bool(floating)
    resolver = _Resolver(offline)
    for name, node in graph.nodes.items():
        given = (recorded or {}).get(name)
        declared = node.image or fallback
        if not given and not declared:
            raise NoImageError(name, backend)
        node.image = resolver.check(given) if given else resolver.pin(str(declared))
    return bool(floating)


def declared_by_digest(graph: Graph, *, root: str, default: str | None) -> bool:
    """Every step's image is named by digest in the code (its own or its
    pipeline's, not the project's ``[tool.repro] image``, which lies
    outside the code files): an unchanged file then proves an unchanged
    image, with no engine to ask."""
    from repro.images.reference import InvalidImageRefError, parse_image_ref

    for node in graph.nodes.values():
        declared = node.image or default
        try:
            if declared is None or parse_image_ref(declared).digest is None:
                return False
        except InvalidImageRefError:
            return False
    return True


def _pin_for_cluster(
    graph: Graph, fallback: str | None, recorded: Mapping[str, str | None]
) -> None:
    """Each step's image as a registry digest, checked here without an
    engine: the cluster pulls it, so a local image id will not do."""
    from repro.images.reference import parse_image_ref

    for name, node in graph.nodes.items():
        declared = recorded.get(name) or node.image or fallback
        if not declared:
            raise NoImageError(name, "argo")
        ref = parse_image_ref(declared)
        if ref.digest is None or not ref.repository:
            raise ImageNotPinnedError(name, declared)
        node.image = str(ref.with_digest(ref.digest))


class _Resolver:
    """Pins each distinct reference once, with one engine client made only
    if some reference needs it."""

    def __init__(self, offline: bool) -> None:
        self.offline = offline
        self.pinned: dict[str, str] = {}
        self.client: Any = None

    def pin(self, declared: str) -> str:
        if declared not in self.pinned:
            from repro.images.reference import parse_image_ref

            ref = parse_image_ref(declared)
            if self.offline and ref.digest is not None:
                self.pinned[declared] = str(ref.with_digest(ref.digest))
            else:
                from repro.images.resolve import pin_image

                self.pinned[declared] = pin_image(declared, self._client())
        return self.pinned[declared]

    def check(self, recorded: str) -> str:
        """A replay's recorded pin, found (or pulled) before anything runs."""
        if recorded not in self.pinned:
            from repro.images.resolve import local_image_id

            local_image_id(recorded, self._client())
            self.pinned[recorded] = recorded
        return recorded

    def _client(self) -> Any:
        if self.client is None:
            from repro.images.engine import docker_client

            self.client = docker_client()
        return self.client


def _floating(graph: Graph, fallback: str | None) -> list[tuple[str, str]]:
    """(step, image) of each step whose declared image floats, whatever the
    backend: code naming a floating image is not reproducible."""
    from repro.images.reference import is_unpinned_latest

    return [
        (name, declared)
        for name, node in graph.nodes.items()
        for declared in [node.image or fallback]
        if declared and is_unpinned_latest(declared)
    ]


def refuse_floating_project_image(root: str) -> None:
    """The cheap check of ``[tool.repro] image`` that comes before the
    quick no-op path of ``--frozen``, which loads no pipeline."""
    from repro.images.reference import is_unpinned_latest

    image = _project_image(root)
    if image and is_unpinned_latest(image):
        raise UnpinnedImageError("(every step: [tool.repro] image)", image)


def _project_image(root: str) -> str | None:
    from repro.images.settings import load_docker_settings

    return load_docker_settings(root).image
