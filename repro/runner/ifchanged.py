"""``repro run --if-changed``: a scheduled job's first question. When every
input snapshot the lock pins for a pipeline is still what the data is now,
nothing is run (exit 0, quickly: local data is judged through the stat
cache, as ``repro status`` judges it); a pipeline never run, or any input
that moved, runs as usual."""

from __future__ import annotations

from dataclasses import dataclass

from repro.errors import ReproError
from repro.project import Project
from repro.runner.targets import Target

__all__ = ["Unchanged", "inputs_unchanged"]


@dataclass(frozen=True)
class Unchanged:
    pipeline: str
    run: str  # the locked run, whose inputs are still the data's
    inputs: int


def inputs_unchanged(project: Project, target: Target) -> Unchanged | None:
    """The locked run of ``target`` when none of its inputs changed since."""
    from repro.pipelines.data import Dataset
    from repro.runner.datasets import snapshot_dataset
    from repro.runner.lockfile import load_lock

    lock = load_lock(project)
    entries = lock.pipelines.items() if lock else []
    found = next(((name, e) for name, e in entries if e.target == target.text), None)
    if found is None or not found[1].inputs:
        return None
    name, entry = found
    stat_cache = project.stat_cache()
    algorithm = project.config.core.hash
    for uri, pinned in entry.inputs.items():
        try:
            now = snapshot_dataset(
                project.root, Dataset(uri, pinned.mode), algorithm, None, stat_cache
            )
        except ReproError:
            return None  # gone, or unreachable: the run says what is wrong
        if now.snapshot.oid != pinned.oid:
            return None
    return Unchanged(name, entry.run, len(entry.inputs))
