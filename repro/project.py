"""A repro project: the folder holding ``.repro/``, its config, its local
cache and its state. ``repro init`` makes one inside a Git work tree."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from repro.config import CONFIG_FILE, Config, load_config
from repro.errors import ReproError
from repro.snapshot import StatCache
from repro.store import ObjectStore, open_backend

__all__ = [
    "REPRO_DIR",
    "InitResult",
    "NotAGitRepositoryError",
    "NotAProjectError",
    "Project",
    "find_project",
    "init_project",
]

REPRO_DIR = ".repro"
STATE_DB = "tmp/state.db"
_GITIGNORE = "/cache/\n/tmp/\n/runs/\n/steps/\n/config.local.toml\n"
_CONFIG = """\
# repro project configuration (committed). Machine-specific settings, such as
# a cache folder shared between projects, go in config.local.toml beside it.
[core]
hash = "xxh3-128"

[cache]
dir = ".repro/cache"
type = ["reflink", "hardlink", "copy"]
"""


class NotAProjectError(ReproError):
    def __init__(self, start: str) -> None:
        self.start = start
        super().__init__(f"not inside a repro project ({start}); run 'repro init' first")


class NotAGitRepositoryError(ReproError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"{path} is not inside a Git repository; run 'git init' first "
            "(or 'repro init --no-scm' to use repro without Git)"
        )


@dataclass(frozen=True)
class Project:
    root: str

    @property
    def repro_dir(self) -> str:
        return os.path.join(self.root, REPRO_DIR)

    @cached_property
    def config(self) -> Config:
        return load_config(self.repro_dir)

    @property
    def cache_dir(self) -> str:
        return os.path.join(self.root, os.path.expanduser(self.config.cache.dir))

    @property
    def store_dir(self) -> str:
        return os.path.join(self.cache_dir, self.config.core.hash)

    def store(self, folder: str | None = None) -> ObjectStore:
        """The local object store (``folder``: the same store where a
        container has it mounted)."""
        config = self.config
        backend = open_backend(folder or self.store_dir, fsync=config.cache.fsync)
        return ObjectStore(backend, config.core.hash, pack_threshold=config.cache.pack_threshold)

    def stat_cache(self) -> StatCache:
        return StatCache(os.path.join(self.repro_dir, STATE_DB), self.config.core.hash)


def find_project(start: str | None = None) -> Project:
    here = os.path.abspath(start or os.getcwd())
    for folder in _ancestors(here):
        if os.path.isdir(os.path.join(folder, REPRO_DIR)):
            return Project(folder)
    raise NotAProjectError(here)


def _ancestors(path: str) -> list[str]:
    found = [path]
    while (parent := os.path.dirname(found[-1])) != found[-1]:
        found.append(parent)
    return found


def git_root(path: str) -> str | None:
    for folder in _ancestors(os.path.abspath(path)):
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
    return None


@dataclass(frozen=True)
class InitResult:
    project: Project
    created: bool


def init_project(path: str, *, no_scm: bool = False) -> InitResult:
    root = os.path.abspath(path)
    if not no_scm and git_root(root) is None:
        raise NotAGitRepositoryError(root)
    repro_dir = os.path.join(root, REPRO_DIR)
    created = not os.path.isdir(repro_dir)
    os.makedirs(repro_dir, exist_ok=True)
    _write_new(os.path.join(repro_dir, CONFIG_FILE), _CONFIG)
    _write_new(os.path.join(repro_dir, ".gitignore"), _GITIGNORE)
    return InitResult(Project(root), created)


def _write_new(path: str, text: str) -> None:
    """Write ``text`` unless the file exists: re-running init keeps edits."""
    if os.path.exists(path):
        return
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(tmp, path)
