"""``repro fsck --remote NAME``: verify a remote's objects, all of them or a
random sample, reading each through the remote and hashing it against its
id. A damaged object is reported by id; nothing is repaired or admitted."""

from __future__ import annotations

import random
from collections.abc import Callable

from repro.errors import UsageError
from repro.project import Project
from repro.store.fsck import FsckProblem, FsckReport, fsck
from repro.store.objects import ObjectStore

__all__ = ["fsck_remote"]

_RUNS_DIR = "runs"  # a remote's runs/<run-id> entries (see repro.remotes)


def fsck_remote(
    project: Project,
    name: str | None,
    sample: int | None = None,
    *,
    seed: int | str | None = None,
    progress: Callable[[int], None] | None = None,
) -> FsckReport:
    """Check the remote ``name`` (the default remote when None): every
    object, or ``sample`` loose and ``sample`` packed ones drawn at random;
    and that each run the remote lists names a record it holds."""
    from repro.remotes import check_remote, get_remote, remote_errors

    if sample is not None and sample < 1:
        raise UsageError(f"--sample {sample}: must be at least 1 (or leave it out to check all)")
    remote = get_remote(project.config, name)
    algorithm = project.config.core.hash
    check_remote(remote, algorithm)  # a misspelt bucket fails instead of looking empty
    with remote_errors(remote):
        store = remote.store(algorithm)
        report = fsck(store, progress, sample=sample, seed=seed)
        _check_listed_runs(store, report, sample, random.Random(seed))
    return report


def _check_listed_runs(
    store: ObjectStore, report: FsckReport, sample: int | None, rng: random.Random
) -> None:
    """A listed run whose record is not there cannot be pulled (with
    ``sample``, that many listed runs are checked)."""
    paths = sorted(store.backend.list_files(_RUNS_DIR))
    if sample is not None:
        paths = rng.sample(paths, min(sample, len(paths)))
    records: dict[str, str] = {}
    for path in paths:
        text = store.backend.read_bytes(path).decode("utf-8", "replace").strip()
        if not store.algorithm.is_valid_oid(text):
            report.problems.append(FsckProblem(path, "does not name a record object"))
        else:
            records[path] = text
    present = store.locate_many(set(records.values()))
    for path, oid in records.items():
        if oid not in present:
            report.problems.append(FsckProblem(path, "names a record that is missing", oid))
