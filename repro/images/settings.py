"""The project's image settings, read from its pyproject.toml::

    [tool.repro]
    image = "127.0.0.1:5000/proj@sha256:…"   # what pipelines run in by default

    [tool.repro.docker]
    base = "repro-base:bookworm"             # FROM of the generated Dockerfile
    repository = "127.0.0.1:5000/proj"       # where `repro image build` tags (and pushes)
    requirements = "requirements.lock"       # the Python lock installed in the image

``record_image`` writes the pinned ``image`` back with tomlkit, so that the
user's comments and layout survive, atomically.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from repro.images.errors import ImageSettingsError, InvalidImageRefError
from repro.images.reference import ImageRef, parse_image_ref

__all__ = [
    "DEFAULT_BASE_IMAGE",
    "REQUIREMENTS_FILES",
    "DockerSettings",
    "default_repository",
    "load_docker_settings",
    "record_image",
]

DEFAULT_BASE_IMAGE = "repro-base:bookworm"
REQUIREMENTS_FILES = ("requirements.lock", "requirements.txt")
PYPROJECT = "pyproject.toml"
_DOCKER_KEYS = frozenset({"base", "repository", "requirements"})


@dataclass(frozen=True)
class DockerSettings:
    image: str | None  # the default image of the project's pipelines
    base: str
    repository: str  # NAME only: no tag, no digest
    requirements: str | None  # absolute path of the lock to install; None: none exists

    @property
    def registry(self) -> str | None:
        """The registry host ``repository`` names, if any: builds are pushed there."""
        return parse_image_ref(self.repository).registry


def load_docker_settings(root: str) -> DockerSettings:
    from repro.pyproject import tool_repro_table

    path = os.path.join(root, PYPROJECT)
    table = tool_repro_table(root)
    docker = table.get("docker", {})
    if not isinstance(docker, dict):
        raise ImageSettingsError(path, "[tool.repro.docker]", "must be a table")
    unknown = sorted(set(docker) - _DOCKER_KEYS)
    if unknown:
        known = ", ".join(sorted(_DOCKER_KEYS))
        raise ImageSettingsError(path, f"[tool.repro.docker] {unknown[0]}", f"unknown ({known})")
    image = _ref_setting(path, "[tool.repro] image", table.get("image"))
    base = _ref_setting(path, "[tool.repro.docker] base", docker.get("base", DEFAULT_BASE_IMAGE))
    return DockerSettings(
        image=str(image) if image else None,
        base=str(base),
        repository=_repository(path, docker.get("repository"), root),
        requirements=_requirements(path, docker.get("requirements"), root),
    )


def record_image(root: str, pinned: str) -> str:
    """Write ``image = "<pinned>"`` under ``[tool.repro]`` in the project's
    pyproject.toml (made if missing); returns the file's path."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from repro.atomic import write_atomic

    if not parse_image_ref(pinned).pinned:
        raise InvalidImageRefError(pinned, "only a pinned NAME@sha256:DIGEST is recorded")
    path = os.path.join(root, PYPROJECT)
    text = _read_text(path)
    try:
        doc = tomlkit.parse(text)
        _repro_table(doc)["image"] = pinned
    except TOMLKitError as exc:
        raise ImageSettingsError(path, "(file)", f"not valid TOML: {exc}") from exc
    write_atomic(path, tomlkit.dumps(doc).encode())
    return path


def _repro_table(doc: Any) -> Any:
    import tomlkit

    if "tool" not in doc:
        doc.add("tool", tomlkit.table(is_super_table=True))
    if "repro" not in doc["tool"]:
        doc["tool"].add("repro", tomlkit.table())
    return doc["tool"]["repro"]


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except FileNotFoundError:
        return ""


def _ref_setting(path: str, key: str, value: Any) -> ImageRef | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ImageSettingsError(path, key, "must be a string naming an image")
    try:
        return parse_image_ref(value)
    except InvalidImageRefError as exc:
        raise ImageSettingsError(path, key, exc.reason) from exc


def _repository(path: str, value: Any, root: str) -> str:
    if value is None:
        return default_repository(root)
    ref = _ref_setting(path, "[tool.repro.docker] repository", value)
    if ref is None or ref.tag is not None or ref.digest is not None:
        raise ImageSettingsError(
            path, "[tool.repro.docker] repository", "a name only, without :TAG or @DIGEST"
        )
    return ref.name


def default_repository(root: str) -> str:
    """The project folder's name, made a valid repository name (local only)."""
    name = re.sub(r"[^a-z0-9]+", "-", os.path.basename(os.path.abspath(root)).lower())
    return name.strip("-") or "repro-project"


def _requirements(path: str, value: Any, root: str) -> str | None:
    if value is None:
        found = (os.path.join(root, n) for n in REQUIREMENTS_FILES)
        return next((p for p in found if os.path.isfile(p)), None)
    if not isinstance(value, str):
        raise ImageSettingsError(path, "[tool.repro.docker] requirements", "must be a path")
    full = os.path.join(root, value)
    if not os.path.isfile(full):
        raise ImageSettingsError(path, "[tool.repro.docker] requirements", f"{full} does not exist")
    return full
