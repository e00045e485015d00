"""Project configuration: ``.repro/config.toml`` (committed) overlaid by
``.repro/config.local.toml`` (this machine only: a shared cache folder, say).

Plain frozen dataclasses with explicit checks rather than pydantic: the
config is read on every command, and ``repro status`` must start about as
fast as ``git status``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

from repro.errors import ReproError
from repro.hashing import UnknownAlgorithmError, get_algorithm

__all__ = [
    "CONFIG_FILE",
    "LOCAL_CONFIG_FILE",
    "CacheConfig",
    "Config",
    "ConfigError",
    "CoreConfig",
    "MaterializeConfig",
    "load_config",
]

CONFIG_FILE = "config.toml"
LOCAL_CONFIG_FILE = "config.local.toml"
# The order a checkout tries them in; repro.snapshot.checkout takes it from here.
LINK_TYPES = ("reflink", "hardlink", "copy")


class ConfigError(ReproError):
    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        super().__init__(f"{file}: {key}: {reason}")


@dataclass(frozen=True)
class CoreConfig:
    hash: str = "xxh3-128"
    jobs: int | None = None


@dataclass(frozen=True)
class CacheConfig:
    dir: str = ".repro/cache"
    type: tuple[str, ...] = LINK_TYPES
    pack_threshold: int = 1 << 20
    fsync: bool = True


@dataclass(frozen=True)
class MaterializeConfig:
    # Loading a pickle runs code: only a project that trusts its store opts in.
    allow_pickle: bool = False


@dataclass(frozen=True)
class Config:
    core: CoreConfig = field(default_factory=CoreConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    materialize: MaterializeConfig = field(default_factory=MaterializeConfig)


def load_config(repro_dir: str) -> Config:
    config = Config()
    for name in (CONFIG_FILE, LOCAL_CONFIG_FILE):
        path = os.path.join(repro_dir, name)
        if os.path.exists(path):
            config = _apply(config, _read(path), path)
    return config


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(file)", f"not valid TOML: {exc}") from exc


def _apply(config: Config, doc: dict[str, Any], path: str) -> Config:
    unknown = set(doc) - {"core", "cache", "materialize"}
    if unknown:
        raise ConfigError(path, sorted(unknown)[0], "unknown section")
    core = _section(config.core, doc.get("core", {}), path, "core")
    cache = _section(config.cache, doc.get("cache", {}), path, "cache")
    materialize = _section(config.materialize, doc.get("materialize", {}), path, "materialize")
    _check(core, cache, path)
    if not isinstance(materialize.allow_pickle, bool):
        raise ConfigError(path, "materialize.allow_pickle", "must be true or false")
    return Config(core, cache, materialize)


def _section(current: Any, values: Any, path: str, name: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(path, name, "must be a table")
    known = current.__dataclass_fields__
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(path, f"{name}.{key}", "unknown setting")
        changes[key] = tuple(value) if isinstance(value, list) else value
    return replace(current, **changes)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(core: CoreConfig, cache: CacheConfig, path: str) -> None:
    if not isinstance(core.hash, str):
        raise ConfigError(path, "core.hash", "must be the name of a hash algorithm")
    try:
        get_algorithm(core.hash)
    except UnknownAlgorithmError as exc:
        raise ConfigError(path, "core.hash", str(exc)) from exc
    if core.jobs is not None and (not _whole(core.jobs) or core.jobs < 1):
        raise ConfigError(path, "core.jobs", "must be a whole number of at least 1")
    if not isinstance(cache.dir, str) or not cache.dir:
        raise ConfigError(path, "cache.dir", "must be a folder path")
    types = cache.type
    if not isinstance(types, tuple) or not types or any(t not in LINK_TYPES for t in types):
        raise ConfigError(path, "cache.type", f"must be a list of some of {', '.join(LINK_TYPES)}")
    if not _whole(cache.pack_threshold) or cache.pack_threshold < 0:
        raise ConfigError(path, "cache.pack_threshold", "must be a size in bytes")
    if not isinstance(cache.fsync, bool):
        raise ConfigError(path, "cache.fsync", "must be true or false")
