"""Pinning an image reference to a digest, and finding the image a pin names.

What repro records is always ``NAME@sha256:<64 hex>``. The digest is the
image's *repository digest* for NAME when it has one: the image came from a
registry or was pushed to one, so any engine can pull it by that digest.
An image that was built locally and never pushed has no repository digest;
its *image id* (the sha256 of its config, so also a content address) is
recorded instead, as ``NAME@sha256:<id>``. Such a pin is found again on the
machine that built it, by id; elsewhere it cannot be pulled, and the error
says to build or push it. ``find_pinned`` accepts either form: it looks the
digest up as a repository digest of NAME, then as an image id, then pulls
NAME by digest.

docker is imported lazily; its errors are translated into repro's here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from repro.images.errors import (
    ImageDigestMismatchError,
    ImageNotFoundError,
    InvalidImageRefError,
)
from repro.images.reference import ImageRef, parse_image_ref

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.images import Image

__all__ = ["digest_for", "find_pinned", "local_image_id", "pin_image", "pull_reason"]


def pin_image(text: str, client: DockerClient) -> str:
    """The pinned reference (``NAME@sha256:…``) to record for ``text``: a
    tag is looked up locally, else pulled; a digest is checked to exist
    (locally, else pulled) and to agree with a tag written beside it."""
    ref = parse_image_ref(text)
    if ref.digest is not None:
        find_pinned(text, client)
        return str(ref.with_digest(ref.digest))
    image = _get(client, ref.tagged) or _pull(client, ref, ref.effective_tag)
    return str(ref.with_digest(digest_for(image, ref)))


def local_image_id(pinned: str, client: DockerClient) -> str:
    """The id of the local image ``pinned`` names, pulled by digest if needed."""
    return str(find_pinned(pinned, client).id)


def find_pinned(text: str, client: DockerClient) -> Image:
    """The image a pinned reference names, whether its digest is a
    repository digest or an image id; pulled by digest when not local."""
    ref = parse_image_ref(text)
    digest = ref.digest
    if digest is None:
        raise InvalidImageRefError(text, "not pinned: expected NAME@sha256:DIGEST")
    if ref.tag is not None:
        _check_tag(client, ref, digest)
    found = _get(client, f"{ref.name}@{digest}") or _by_id(client, digest)
    return found or _pull(client, ref, digest)


def digest_for(image: Image, ref: ImageRef) -> str:
    """``image``'s repository digest for ``ref``'s name, else its image id."""
    digests = _repo_digests(image, ref.name)
    return digests[0] if digests else str(image.id)


def _repo_digests(image: Image, name: str) -> list[str]:
    found = []
    for entry in image.attrs.get("RepoDigests") or []:
        entry_name, _, digest = str(entry).partition("@")
        if _same_name(entry_name, name):
            found.append(digest)
    return found


def _same_name(engine_name: str, name: str) -> bool:
    try:
        return parse_image_ref(engine_name).name == name
    except InvalidImageRefError:
        return False  # an engine entry we cannot read names nothing we record


def _check_tag(client: DockerClient, ref: ImageRef, digest: str) -> None:
    """A local ``NAME:TAG`` written beside a digest must be that image."""
    tagged = _get(client, ref.tagged)
    if tagged is None or tagged.id == digest or digest in _repo_digests(tagged, ref.name):
        return
    raise ImageDigestMismatchError(str(ref), digest, digest_for(tagged, ref))


def _get(client: DockerClient, key: str) -> Image | None:
    from docker.errors import APIError, NotFound

    try:
        return client.images.get(key)
    except NotFound:
        return None
    except APIError as exc:
        raise ImageNotFoundError(key, pull_reason(exc)) from exc


def _by_id(client: DockerClient, digest: str) -> Image | None:
    image = _get(client, digest)
    # The engine also matches a prefix; only the whole id names the image.
    return image if image is not None and image.id == digest else None


def _pull(client: DockerClient, ref: ImageRef, tag_or_digest: str) -> Image:
    """Pull ``NAME:TAG`` or ``NAME@DIGEST``; the stream's error, if any, says why not."""
    from docker.errors import APIError

    sep = "@" if tag_or_digest.startswith("sha256:") else ":"
    wanted = f"{ref.name}{sep}{tag_or_digest}"
    try:
        for event in client.api.pull(ref.name, tag=tag_or_digest, stream=True, decode=True):
            if isinstance(event, dict) and event.get("error"):
                raise ImageNotFoundError(wanted, pull_reason(str(event["error"])))
    except APIError as exc:
        raise ImageNotFoundError(wanted, pull_reason(exc)) from exc
    image = _get(client, wanted)
    if image is None:
        raise ImageNotFoundError(wanted, "the pull finished but the engine does not list it")
    return image


def pull_reason(error: Any) -> str:
    """A short reason from an engine error (an APIError or its text)."""
    text = str(getattr(error, "explanation", None) or error)
    lowered = text.lower()
    if "connection refused" in lowered:
        return "its registry refused the connection"
    if any(s in lowered for s in ("no such host", "i/o timeout", "network is unreachable")):
        return "its registry cannot be reached"
    if "manifest unknown" in lowered or "manifest for" in lowered:
        return "the registry has no image by that tag or digest"
    if "pull access denied" in lowered or "repository does not exist" in lowered:
        return "the registry has no such repository, or needs `docker login`"
    if "no such image" in lowered or "not found" in lowered:
        return "no such image"
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return first[:200]
