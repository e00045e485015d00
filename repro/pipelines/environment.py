"""Environment fingerprint: what, outside the project's code, a step's result depends on.

Python (implementation and minor version), the platform, the project's Python
lock file, the versions of the distributions the steps actually import, and
the container image. Never incidental packages, absolute paths, user or host
names or environment variables: a lock made on a laptop must be judged fresh
in CI on another machine with the same pins.

The lock file is the first of these found at the project root:
``uv.lock``, ``pylock.toml``, ``poetry.lock``, ``requirements.lock``,
``requirements.txt``, then any other ``requirements*.txt`` (in name order).
"""

from __future__ import annotations

import fnmatch
import functools
import os
import platform as _platform
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from repro.errors import ReproError
from repro.hashing import DEFAULT_ALGORITHM, canonical_dumps, get_algorithm

__all__ = [
    "LOCKFILE_NAMES",
    "Environment",
    "EnvironmentRecordError",
    "LockfileUnreadableError",
    "canonical_name",
    "current_versions",
    "distributions_for",
    "environment",
    "find_lockfile",
    "platform_tag",
    "python_tag",
]

FORMAT = "repro.env/v1"
LOCKFILE_NAMES = ("uv.lock", "pylock.toml", "poetry.lock", "requirements.lock", "requirements.txt")
_REQUIREMENTS_PATTERN = "requirements*.txt"
# repro's own version is not a step's dependency: upgrading repro must not
# invalidate every cached result.
_SELF_DISTRIBUTION = "repro-gitops"


class EnvironmentRecordError(ReproError, ValueError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"environment record is malformed: {reason}; the run record may be corrupt"
        )


class LockfileUnreadableError(ReproError, OSError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read the lock file {path} ({reason}); check its permissions")


@dataclass(frozen=True)
class Environment:
    """An environment's pins; ``oid`` covers every field but ``python_full``
    (patch releases do not change results often enough to rerun everything)
    and ``algorithm`` (which only says how ``oid`` is computed).
    ``distributions`` is a sorted copy: treat it as read-only."""

    python: str
    python_full: str
    platform: str
    lockfile: str | None
    lockfile_oid: str | None
    distributions: Mapping[str, str]
    image: str | None = None
    algorithm: str = DEFAULT_ALGORITHM

    def __post_init__(self) -> None:
        object.__setattr__(self, "distributions", dict(sorted(self.distributions.items())))

    def __hash__(self) -> int:
        return hash(self.oid)

    @cached_property
    def oid(self) -> str:
        payload = {
            "format": FORMAT,
            "python": self.python,
            "platform": self.platform,
            "lockfile": self.lockfile,
            "lockfile_oid": self.lockfile_oid,
            "distributions": dict(self.distributions),
            "image": self.image,
        }
        return get_algorithm(self.algorithm).hexdigest(canonical_dumps(payload))

    def to_dict(self) -> dict[str, object]:
        return {
            "python": self.python,
            "python_full": self.python_full,
            "platform": self.platform,
            "lockfile": self.lockfile,
            "lockfile_oid": self.lockfile_oid,
            "distributions": dict(self.distributions),
            "image": self.image,
            "algorithm": self.algorithm,
            "oid": self.oid,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Environment:
        """The environment ``to_dict`` gave; its ``oid``, when present, must match."""
        env = cls(
            python=_text(data, "python"),
            python_full=_text(data, "python_full"),
            platform=_text(data, "platform"),
            lockfile=_optional_text(data, "lockfile"),
            lockfile_oid=_optional_text(data, "lockfile_oid"),
            distributions=_versions(data.get("distributions")),
            image=_optional_text(data, "image"),
            algorithm=_optional_text(data, "algorithm") or DEFAULT_ALGORITHM,
        )
        recorded = data.get("oid")
        if recorded is not None and recorded != env.oid:
            raise EnvironmentRecordError(f"its oid {recorded} does not match its fields")
        return env


def _text(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise EnvironmentRecordError(f"{key!r} must be a string, not {value!r}")
    return value


def _optional_text(data: Mapping[str, object], key: str) -> str | None:
    return None if data.get(key) is None else _text(data, key)


def _versions(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise EnvironmentRecordError(f"'distributions' must map names to versions, not {value!r}")
    return dict(value)


def find_lockfile(project_root: str) -> str | None:
    """The project-relative path of the project's Python lock file, or None."""
    for name in LOCKFILE_NAMES:
        if os.path.isfile(os.path.join(project_root, name)):
            return name
    try:
        names = sorted(os.listdir(project_root))
    except FileNotFoundError:
        return None
    for name in fnmatch.filter(names, _REQUIREMENTS_PATTERN):
        if os.path.isfile(os.path.join(project_root, name)):
            return name
    return None


def canonical_name(distribution: str) -> str:
    """PEP 503: ``PyYAML`` and ``pyyaml``, ``scikit_learn`` and ``scikit-learn`` are one."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


@functools.cache
def _packages_distributions() -> Mapping[str, list[str]]:
    # Scans every installed distribution (about 0.2 s here): once per process.
    import importlib.metadata  # 20-40 ms: only when a full fingerprint is taken

    return importlib.metadata.packages_distributions()


def _version(distribution: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def distributions_for(modules: Iterable[str]) -> dict[str, str]:
    """{distribution: version} of the installed distributions that provide
    the top-level ``modules``; modules no distribution provides are ignored."""
    index = _packages_distributions()
    found: dict[str, str] = {}
    for module in modules:
        for distribution in index.get(module.partition(".")[0], ()):
            name = canonical_name(distribution)
            if name == _SELF_DISTRIBUTION or name in found:
                continue
            version = _version(distribution)
            if version is not None:
                found[name] = version
    return dict(sorted(found.items()))


def current_versions(distributions: Iterable[str]) -> dict[str, str | None]:
    """The installed version of each named distribution, None if it is not
    installed. The names of the metadata folders on ``sys.path`` answer most
    of them (a listing per folder); importlib.metadata the rest."""
    names = list(distributions)
    found = _versions_from_folder_names(names)
    return {name: found.get(canonical_name(name)) or _version(name) for name in names}


def _versions_from_folder_names(names: list[str]) -> dict[str, str]:
    wanted = {canonical_name(name) for name in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in listing:
            if not folder.endswith((".dist-info", ".egg-info")):
                continue
            parts = folder.rsplit(".", 1)[0].split("-")
            key = canonical_name(parts[0])
            if len(parts) >= 2 and key in wanted and key not in found:
                found[key] = parts[1]
    return found


def python_tag() -> str:
    """Implementation and minor version: patch releases keep results."""
    return f"{sys.implementation.name}-{sys.version_info.major}.{sys.version_info.minor}"


def platform_tag() -> str:
    return f"{sys.platform}-{_platform.machine().lower() or 'unknown'}"


def environment(
    project_root: str,
    modules: Iterable[str],
    *,
    algorithm: str = DEFAULT_ALGORITHM,
    image: str | None = None,
) -> Environment:
    """The environment of this interpreter for steps that import ``modules``."""
    lockfile = find_lockfile(project_root)
    lockfile_oid = None
    if lockfile is not None:
        lockfile_oid = get_algorithm(algorithm).hexdigest(_read(project_root, lockfile))
    return Environment(
        python=python_tag(),
        python_full=_platform.python_version(),
        platform=platform_tag(),
        lockfile=lockfile,
        lockfile_oid=lockfile_oid,
        distributions=distributions_for(modules),
        image=image,
        algorithm=algorithm,
    )


def _read(project_root: str, lockfile: str) -> bytes:
    try:
        with open(os.path.join(project_root, lockfile), "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise LockfileUnreadableError(lockfile, exc.strerror or str(exc)) from exc
