"""Container images: references, pinning by digest, building, and the
Docker engine they are reached through."""

from repro.lazy import lazy_exports

__all__ = [
    "BuildResult",
    "DockerSettings",
    "DockerUnavailableError",
    "ImageBuildError",
    "ImageDigestMismatchError",
    "ImageNotFoundError",
    "ImagePushError",
    "ImageRef",
    "InvalidImageRefError",
    "RegistryUnreachableError",
    "WheelhouseError",
    "build_image",
    "docker_client",
    "find_pinned",
    "generated_dockerfile",
    "is_unpinned_latest",
    "load_docker_settings",
    "local_image_id",
    "parse_image_ref",
    "pin_image",
    "record_image",
]

__getattr__ = lazy_exports(
    globals(),
    {
        "BuildResult": "repro.images.build",
        "build_image": "repro.images.build",
        "DockerSettings": "repro.images.settings",
        "load_docker_settings": "repro.images.settings",
        "record_image": "repro.images.settings",
        "DockerUnavailableError": "repro.images.engine",
        "docker_client": "repro.images.engine",
        "ImageBuildError": "repro.images.errors",
        "ImageDigestMismatchError": "repro.images.errors",
        "ImageNotFoundError": "repro.images.errors",
        "ImagePushError": "repro.images.errors",
        "InvalidImageRefError": "repro.images.errors",
        "RegistryUnreachableError": "repro.images.errors",
        "WheelhouseError": "repro.images.errors",
        "ImageRef": "repro.images.reference",
        "is_unpinned_latest": "repro.images.reference",
        "parse_image_ref": "repro.images.reference",
        "find_pinned": "repro.images.resolve",
        "local_image_id": "repro.images.resolve",
        "pin_image": "repro.images.resolve",
        "generated_dockerfile": "repro.images.dockerfile",
    },
)
