"""The no-op fast path of ``repro run``: when every file, dataset,
parameter and environment pin recorded in the lock still holds, the run is
a no-op, decided without importing the pipeline's module (pandas and
scikit-learn alone take a second to import) or pydantic.

It reads the lock as plain YAML and only ever answers "up to date" or "look
closer": anything unexpected means the slow path decides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from repro.hashing import canonical_dumps, get_algorithm
from repro.project import Project
from repro.safeyaml import FileTooLargeError, read_limited

if TYPE_CHECKING:
    from repro.snapshot import StatCache
from repro.reads import file_id
from repro.runner.lockfile import known_valid
from repro.runner.targets import Target

__all__ = [
    "IN_IMAGE",
    "PACKAGE",
    "QUICK_BACKENDS",
    "UpToDate",
    "discovered_id",
    "file_digest",
    "locked_entry",
    "params_hold",
    "up_to_date",
]

# The environment of a step that runs in a container: its image's digest
# pins the interpreter, the packages and the platform.
IN_IMAGE = "(in image)"
# Where a lock entry can be judged without an engine: the local backend,
# and docker when every image is named by digest in the code (the lock's
# `static` says so); argo's results live on a cluster.
QUICK_BACKENDS = frozenset({"local", "docker"})
# A discovered input that is a Python distribution a shell step's programs
# imported ("(package) numpy" -> its version), not a file of the project.
PACKAGE = "(package) "


@dataclass(frozen=True)
class UpToDate:
    pipeline: str
    run: str
    steps: list[str]


def up_to_date(
    project: Project, target: Target, overrides: Mapping[str, Any], backend: str | None = None
) -> UpToDate | None:
    """``backend``: the one asked for (None: the lock's)."""
    entry = locked_entry(project, target)
    if entry is None or entry.get("static") is not True:
        return None
    locked_backend = entry.get("backend", "local")
    if locked_backend not in QUICK_BACKENDS or backend not in (None, locked_backend):
        return None
    if not os.path.exists(_record_path(project, entry.get("run"))):
        return None
    if not isinstance(entry.get("record"), str) or not project.store().exists(entry["record"]):
        return None  # the cache was emptied: the outputs are gone too
    algorithm = project.config.core.hash
    # Cheapest first; the first that fails ends the look.
    holds = (
        params_hold(entry, overrides)
        and _files_hold(project.root, entry.get("code_files"), algorithm)
        and _environment_holds(project.root, entry.get("environment"), algorithm)
        and _tree_holds(project, entry, algorithm)
    )
    if not holds:
        return None
    return UpToDate(entry["pipeline_name"], entry["run"], list(entry.get("steps") or {}))


def locked_entry(project: Project, target: Target) -> dict[str, Any] | None:
    """The lock's entry for ``target`` as plain YAML (with its pipeline's
    name under ``pipeline_name``); None when the lock is not one repro
    wrote or validated, or names no single pipeline for the target."""
    try:
        data = read_limited(os.path.join(project.root, "repro.lock"))
    except (OSError, FileTooLargeError):
        return None
    # Only a lock repro wrote or fully validated: anything else goes to the
    # slow path, which reports what is wrong with it.
    doc = known_valid(project, data)
    if doc is None or doc.get("schema") != "repro.lock/v1":
        return None
    pipelines = doc.get("pipelines")
    if not isinstance(pipelines, dict):
        return None
    matches = [
        {**entry, "pipeline_name": name}
        for name, entry in pipelines.items()
        if isinstance(entry, dict) and _same_target(entry.get("target"), target)
    ]
    # `repro run FILE.py` of a file with several locked pipelines: the slow
    # path says which one is meant.
    return matches[0] if len(matches) == 1 else None


def _same_target(recorded: object, target: Target) -> bool:
    if not isinstance(recorded, str):
        return False
    return recorded == target.text or (
        target.attr is None and recorded.split(":")[0] == target.file
    )


def _record_path(project: Project, run: object) -> str:
    if not isinstance(run, str) or not run.isalnum():
        return ""
    return os.path.join(project.repro_dir, "runs", f"{run}.json")


def _tree_holds(project: Project, entry: Mapping[str, Any], algorithm: str) -> bool:
    """The files read at import time, those the steps read, the data and
    the shell outs, each a stat per file (one stat cache)."""
    stat_cache = project.stat_cache()
    return (
        _ids_hold(project.root, entry.get("imports", {}), algorithm, stat_cache)
        and _steps_hold(project, entry.get("steps"), algorithm, stat_cache)
        and _data_holds(project, entry.get("inputs"), algorithm, stat_cache)
    )


def _steps_hold(project: Project, steps: object, algorithm: str, stat_cache: StatCache) -> bool:
    """No step that always executes, every file a step was seen to read
    unchanged, and every shell out still in the work tree as the run left
    it (a cached shell step would restore it)."""
    if not isinstance(steps, dict) or not steps:
        return False
    for step in steps.values():
        if not isinstance(step, dict) or not step.get("cache", True):
            return False
        prints = step.get("fingerprints")
        discovered = prints.get("discovered", {}) if isinstance(prints, dict) else None
        if not _ids_hold(project.root, discovered, algorithm, stat_cache):
            return False
        outputs = step.get("outputs")
        if step.get("kind") == "shell" and not _outs_hold(project, outputs, algorithm, stat_cache):
            return False
    return True


def _outs_hold(project: Project, outputs: object, algorithm: str, stat_cache: StatCache) -> bool:
    from repro.snapshot import snapshot

    if not isinstance(outputs, dict):
        return False
    for out, oid in outputs.items():
        path = os.path.join(project.root, out)
        if not os.path.exists(path):
            return False
        if snapshot(path, algorithm=algorithm, stat_cache=stat_cache).oid != oid:
            return False
    return True


def params_hold(entry: Mapping[str, Any], overrides: Mapping[str, Any]) -> bool:
    """The run given ``overrides`` has the params the entry's run had."""
    params, defaults = entry.get("params"), entry.get("defaults")
    if not isinstance(params, dict) or not isinstance(defaults, dict):
        return False
    # The code (and so every default) is unchanged once the files check out.
    # Canonical JSON, not ==: 3.0 == 3 and True == 1 in Python, not in a key.
    try:
        return canonical_dumps({**defaults, **overrides}) == canonical_dumps(params)
    except (TypeError, ValueError):
        return False  # not a JSON value: the slow path says so


def file_digest(path: str, algorithm: str) -> str | None:
    """The digest of the file's bytes; None when it cannot be read (absent)."""
    hasher = get_algorithm(algorithm).new()
    try:
        with open(path, "rb") as file:
            hasher.update(file.read())
    except OSError:
        return None
    return str(hasher.hexdigest())


def discovered_id(
    root: str, key: str, algorithm: str, stat_cache: StatCache | None = None
) -> str | None:
    """What a discovered input is now: a file's object id, a package's
    installed version (None: absent)."""
    if key.startswith(PACKAGE):
        from repro.pipelines.environment import current_versions

        name = key[len(PACKAGE) :]
        return current_versions([name])[name]
    return file_id(os.path.join(root, key), algorithm, stat_cache)


def _ids_hold(root: str, files: object, algorithm: str, stat_cache: StatCache | None) -> bool:
    """Each file read at import time or by a step has the id it recorded
    (each package a step's programs imported, its version)."""
    if not isinstance(files, dict):
        return False
    return all(
        (key.startswith(PACKAGE) or _in_project(key))
        and discovered_id(root, key, algorithm, stat_cache) == oid
        for key, oid in files.items()
    )


def _files_hold(root: str, files: object, algorithm: str) -> bool:
    """Each code file the lock names, inside the project, has the digest it
    recorded (there is at least one: the pipeline's module)."""
    if not isinstance(files, dict) or not files:
        return False
    return all(
        _in_project(path) and file_digest(os.path.join(root, path), algorithm) == oid
        for path, oid in files.items()
    )


def _in_project(path: object) -> bool:
    """A path a lock names is read only when it is one a tree could hold:
    relative, no "..", nothing under .git or .repro."""
    from repro.store.tree import InvalidTreeError, check_path

    if not isinstance(path, str):
        return False
    try:
        check_path(path)
    except InvalidTreeError:
        return False
    return True


def _environment_holds(root: str, env: object, algorithm: str) -> bool:
    from repro.pipelines.environment import (
        current_versions,
        find_lockfile,
        platform_tag,
        python_tag,
    )

    if not isinstance(env, dict):
        return False
    if env.get("image") and env.get("python") == IN_IMAGE:
        return True  # the image's digest, in each step's key, covers it
    if env.get("python") != python_tag() or env.get("platform") != platform_tag():
        return False
    lockfile = find_lockfile(root)
    if lockfile != env.get("lockfile"):
        return False
    if lockfile is not None and file_digest(os.path.join(root, lockfile), algorithm) != env.get(
        "lockfile_oid"
    ):
        return False
    recorded = env.get("distributions")
    if not isinstance(recorded, dict):
        return False
    return current_versions(recorded) == recorded


def _data_holds(project: Project, inputs: object, algorithm: str, stat_cache: StatCache) -> bool:
    from repro.snapshot import snapshot

    if not isinstance(inputs, dict):
        return False
    for uri, pinned in inputs.items():
        if not isinstance(pinned, dict) or "://" in uri:
            return False  # remote data is checked by the slow path
        path = os.path.join(project.root, uri)
        if not os.path.exists(path):
            return False
        found = snapshot(path, algorithm=algorithm, stat_cache=stat_cache)
        if found.oid != pinned.get("oid"):
            return False
    return True
