"""Image references as Docker reads them: ``[HOST[:PORT]/]PATH[:TAG][@DIGEST]``.

Pure: parsing and printing only, no engine. Names are kept in Docker's
familiar form (``docker.io/library/python`` is ``python``), the form the
engine itself prints in ``RepoTags`` and ``RepoDigests``, so that a
reference compares equal to what the engine reports. The only digest
accepted is ``sha256:`` and 64 lowercase hex digits: that is what every
engine and registry produces, and what repro records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from repro.images.errors import InvalidImageRefError

__all__ = [
    "DEFAULT_TAG",
    "ImageRef",
    "InvalidImageRefError",
    "is_digest",
    "is_unpinned_latest",
    "parse_image_ref",
]

DEFAULT_TAG = "latest"
DEFAULT_REGISTRY = "docker.io"
MAX_NAME_LENGTH = 255

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_HOST_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(
    rf"(?:{_HOST_COMPONENT}(?:\.{_HOST_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
)


@dataclass(frozen=True)
class ImageRef:
    """``registry`` is None for Docker Hub; ``repository`` is the path
    (``library/`` dropped for Hub's official images)."""

    registry: str | None
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The name without tag or digest: what a RepoDigest starts with."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    @property
    def pinned(self) -> bool:
        return self.digest is not None

    @property
    def floating(self) -> bool:
        """Named by a tag (``latest`` when none is written): its image may change."""
        return self.digest is None

    @property
    def effective_tag(self) -> str:
        return self.tag or DEFAULT_TAG

    @property
    def tagged(self) -> str:
        """``NAME:TAG``, ``latest`` filled in: what the engine looks a tag up by."""
        return f"{self.name}:{self.effective_tag}"

    def with_digest(self, digest: str) -> ImageRef:
        """``NAME@DIGEST``: the tag is dropped, since the digest alone decides."""
        if not is_digest(digest):
            raise InvalidImageRefError(digest, "a digest is sha256: and 64 lowercase hex digits")
        return ImageRef(self.registry, self.repository, None, digest)

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def is_digest(text: str) -> bool:
    return _DIGEST.fullmatch(text) is not None


def parse_image_ref(text: str) -> ImageRef:
    """Parse ``text`` by Docker's reference grammar, or raise InvalidImageRefError."""
    if not text or text != text.strip():
        raise InvalidImageRefError(text, "empty or surrounded by spaces")
    remainder, digest = _split_digest(text)
    remainder, tag = _split_tag(text, remainder)
    registry, repository = _split_registry(text, remainder)
    if len(remainder) > MAX_NAME_LENGTH:
        raise InvalidImageRefError(text, f"the name is longer than {MAX_NAME_LENGTH} characters")
    return ImageRef(registry, repository, tag, digest)


def is_unpinned_latest(text: str) -> bool:
    """True when ``text`` has no digest and its tag is absent or ``latest``:
    the one reference whose meaning changes with every push."""
    ref = parse_image_ref(text)
    return ref.digest is None and ref.effective_tag == DEFAULT_TAG


def _split_digest(text: str) -> tuple[str, str | None]:
    name, at, digest = text.partition("@")
    if not at:
        return text, None
    if not is_digest(digest):
        raise InvalidImageRefError(text, "a digest is sha256: and 64 lowercase hex digits")
    return name, digest


def _split_tag(text: str, name: str) -> tuple[str, str | None]:
    colon = name.rfind(":")
    if colon <= name.rfind("/"):
        return name, None  # a colon before the last slash is a registry port
    tag = name[colon + 1 :]
    if _TAG.fullmatch(tag) is None:
        raise InvalidImageRefError(
            text, f"tag {tag!r} must be 1-128 letters, digits, '_', '.' or '-' (not first)"
        )
    return name[:colon], tag


def _split_registry(text: str, name: str) -> tuple[str | None, str]:
    first, slash, rest = name.partition("/")
    names_host = any(c in first for c in ".:") or first == "localhost" or first != first.lower()
    if not slash or not names_host:
        registry, path = None, name
    elif _DOMAIN.fullmatch(first) is None:
        raise InvalidImageRefError(text, f"{first!r} is not a valid registry host[:port]")
    else:
        registry, path = first, rest
    _check_path(text, path)
    return _familiar(registry, path)


def _check_path(text: str, path: str) -> None:
    for component in path.split("/"):
        if _PATH_COMPONENT.fullmatch(component) is None:
            reason = "must be lowercase" if component.lower() != component else "is not valid"
            raise InvalidImageRefError(
                text,
                f"repository name component {component!r} {reason} (lowercase letters, "
                "digits and single '.', '_', '__' or '-' separators)",
            )


def _familiar(registry: str | None, path: str) -> tuple[str | None, str]:
    """Docker Hub's long spellings folded into the short one the engine prints."""
    if registry in (DEFAULT_REGISTRY, "index.docker.io"):
        registry = None
    if registry is None and path.startswith("library/") and path.count("/") == 1:
        path = path.removeprefix("library/")
    return registry, path
