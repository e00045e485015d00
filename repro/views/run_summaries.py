"""A quick read of every run record for what filters and pickers ask about:
pipeline, status, commit, tags and the names of the metrics each step
logged, and nothing else.

Two things keep it fast on a store of thousands of runs. The fields are
picked by pydantic-core, which parses the JSON in Rust and builds Python
objects for those fields only (measured on 10,000 records: six times
faster than ``json.loads``, which builds the whole record). And each digest
is kept in this process's memory under its file's (mtime_ns, size), so a
record is read once per process until it changes; records are replaced by
rename, never edited in place, so a changed record always changes its key.
Nothing is written anywhere: the UI is read-only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Final, Literal, NotRequired

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from repro.lineage.records import RunRecord, RunStatus
from repro.lineage.runs import RunIndex, parse_record

if TYPE_CHECKING:
    from repro.project import Project

__all__ = ["RunDigest", "run_digests"]

_SUFFIX: Final = ".json"


@dataclass(frozen=True)
class RunDigest:
    id: str
    pipeline: str
    status: str
    commit: str | None
    tags: frozenset[tuple[str, str]]  # the run's own and its steps' (a filter matches either)
    metrics: Mapping[str, frozenset[str]]  # step -> the names of the metrics it logged

    def metric_steps(self, metric: str) -> list[str]:
        """The steps whose value ``metric`` names, read as
        ``repro.experiments.metrics.step_metrics`` reads the name."""
        step, dot, name = metric.partition(".")
        if dot and step in self.metrics:
            return [step] if name in self.metrics[step] else []
        return [step for step, names in self.metrics.items() if metric in names]


@dataclass(frozen=True)
class _Entry:
    mtime_ns: int
    size: int
    digest: RunDigest


# folder of run records -> run id -> digest of its file as last read. A
# whole folder's map is replaced at once, so concurrent requests never see
# one half-built; two of them at worst read the same file twice.
_digests: dict[str, dict[str, _Entry]] = {}


def run_digests(project: Project) -> list[RunDigest]:
    """A digest of every run recorded in ``project``, newest first; a
    damaged or newer record is the error that loading it would be."""
    folder = RunIndex(project.repro_dir).folder
    known = _digests.get(folder, {})
    current = {}
    for run_id in _run_ids(folder):
        entry = _entry(folder, run_id, known.get(run_id))
        if entry is not None:
            current[run_id] = entry
    _digests[folder] = current
    return [current[run_id].digest for run_id in sorted(current, reverse=True)]


def _run_ids(folder: str) -> list[str]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    cut = len(_SUFFIX)
    return [name[:-cut] for name in names if name.endswith(_SUFFIX) and not name.startswith(".")]


def _entry(folder: str, run_id: str, known: _Entry | None) -> _Entry | None:
    """The digest of a record, read again only if its file changed; None
    if the file went since the folder was listed (``repro gc``)."""
    path = os.path.join(folder, run_id + _SUFFIX)
    try:
        if known is not None:
            stat = os.stat(path)
            if (stat.st_mtime_ns, stat.st_size) == (known.mtime_ns, known.size):
                return known
        return _read(path)
    except FileNotFoundError:
        return None


def _read(path: str) -> _Entry:
    # The key comes from the open file, so it always describes the bytes read.
    with open(path, "rb") as file:
        stat = os.fstat(file.fileno())
        data = file.read()
    return _Entry(stat.st_mtime_ns, stat.st_size, _digest(data, path))


def _digest(data: bytes, where: str) -> RunDigest:
    try:
        fields = _fields().validate_json(data)
    except ValidationError:
        # The full parse names what is wrong (or, should it accept what the
        # quick one refused, gives the fields all the same).
        return _from_record(parse_record(data, where))
    tags = set(fields.get("tags", {}).items())
    metrics = {}
    for name, step in fields["steps"].items():
        tags.update(step.get("tags", {}).items())
        if step.get("metrics"):
            metrics[name] = frozenset(step["metrics"])
    git = fields["git"]
    return RunDigest(
        fields["id"], fields["pipeline"], fields["status"], git["commit"], frozenset(tags), metrics
    )


def _from_record(record: RunRecord) -> RunDigest:
    tags = set(record.tags.items())
    for step in record.steps.values():
        tags.update(step.tags.items())
    metrics = {name: frozenset(step.metrics) for name, step in record.steps.items() if step.metrics}
    git = record.git
    return RunDigest(
        record.id, record.pipeline, record.status, git.commit, frozenset(tags), metrics
    )


# The fields of a run record a digest needs. Typed dicts, not models:
# pydantic-core builds nothing else, and builds these as plain dicts (models
# per step cost twice as much).
class _GitFields(TypedDict):
    commit: str | None


class _StepFields(TypedDict):
    tags: NotRequired[dict[str, str]]
    metrics: NotRequired[dict[str, float]]


class _RunFields(TypedDict):
    schema: Literal["repro.run/v1"]
    id: str
    pipeline: str
    status: RunStatus
    git: _GitFields
    tags: NotRequired[dict[str, str]]
    steps: dict[str, _StepFields]


@cache
def _fields() -> TypeAdapter[_RunFields]:
    return TypeAdapter(_RunFields)
