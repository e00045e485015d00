"""``repro run --if-changed``: a scheduled job's first question. When every
input snapshot the lock pins for a pipeline is still what the data is now,
nothing is run (exit 0, quickly: the lock is read as plain YAML, local data
is judged through the stat cache and nothing of the pipeline is imported);
a pipeline never run, or any input that moved, runs as usual."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from repro.errors import ReproError
from repro.project import Project
from repro.runner.targets import Target

__all__ = ["Unchanged", "inputs_unchanged"]


@dataclass(frozen=True)
class Unchanged:
    pipeline: str
    run: str  # the locked run, whose inputs are still the data's
    inputs: int


def inputs_unchanged(
    project: Project, target: Target, params: Mapping[str, Any] | None = None
) -> Unchanged | None:
    """The locked run of ``target`` when none of its inputs changed since
    and ``params`` are the ones it ran with."""
    from repro.runner.fastpath import locked_entry, params_hold

    entry = locked_entry(project, target) or _validated_entry(project, target)
    inputs = entry.get("inputs") if entry else None
    if entry is None or not isinstance(inputs, dict) or not inputs:
        return None
    if not params_hold(entry, params or {}):
        return None  # another dataset or value: a run of its own
    stat_cache = project.stat_cache()
    for uri, pinned in inputs.items():
        if not isinstance(pinned, dict):
            return None
        try:
            now = _current_oid(project, uri, pinned, stat_cache)
        except ReproError:
            return None  # gone, or unreachable: the run says what is wrong
        if now is None or now != pinned.get("oid"):
            return None
    return Unchanged(str(entry["pipeline_name"]), str(entry["run"]), len(inputs))


def _validated_entry(project: Project, target: Target) -> dict[str, Any] | None:
    """The entry from the lock read and validated in full (a fresh clone's
    lock carries no mark of having been validated here yet)."""
    from repro.runner.lockfile import load_lock

    lock = load_lock(project)
    if lock is None:
        return None
    found = [
        {**entry.model_dump(mode="json"), "pipeline_name": name}
        for name, entry in lock.pipelines.items()
        if entry.target == target.text
    ]
    return found[0] if len(found) == 1 else None


def _current_oid(
    project: Project, uri: str, pinned: Mapping[str, Any], stat_cache: Any
) -> str | None:
    from repro.snapshot import snapshot

    algorithm = project.config.core.hash
    local = uri.removeprefix("file://")
    if "://" not in local:
        path = os.path.join(project.root, local)
        if not os.path.exists(path):
            return None
        return snapshot(path, algorithm=algorithm, stat_cache=stat_cache).oid
    if pinned.get("mode") == "reference":
        from repro.pipelines.data import Dataset
        from repro.runner.datasets import snapshot_dataset

        dataset = Dataset(uri, "reference")
        return snapshot_dataset(project.root, dataset, algorithm, None, None).snapshot.oid
    return snapshot(uri, algorithm=algorithm).oid
