"""Model versions: the outputs that succeeded runs recorded as a version of
a model (``@pipeline(model=Model(name=...))``), identified by object id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from repro.models.errors import AmbiguousVersionError, UnknownVersionError

__all__ = [
    "MadeVersion",
    "RecordedRun",
    "Version",
    "collect_versions",
    "is_version_prefix",
    "match_version",
]

_HEX = frozenset("0123456789abcdef")


class MadeVersion(Protocol):
    """A model version as a run names it (a record's ``ModelVersion``, or the
    UI's digest of it)."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def step(self) -> str: ...
    @property
    def output(self) -> str: ...


class RecordedRun(Protocol):
    """What versions are collected from: a run record, or a digest of one."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def created(self) -> str: ...
    @property
    def models(self) -> Sequence[MadeVersion]: ...


@dataclass(frozen=True)
class Version:
    """One version of a model. A rerun whose steps were cached, or a replay,
    records the same bytes again: still one version, made by the oldest of
    its ``runs`` (``run``), and as new as the newest of them: the latest
    version is what the latest run produced."""

    name: str
    oid: str
    step: str
    output: str
    run: str
    created: str  # when ``run`` started
    runs: tuple[str, ...]
    recorded: str  # when the newest of ``runs`` started

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.oid,
            "step": self.step,
            "output": self.output,
            "run": self.run,
            "created": self.created,
            "runs": list(self.runs),
            "recorded": self.recorded,
        }


def collect_versions(records: Iterable[RecordedRun]) -> list[Version]:
    """Every model version of the succeeded runs among ``records``, the most
    recently recorded first."""
    found: dict[tuple[str, str], list[tuple[RecordedRun, MadeVersion]]] = {}
    for record in sorted(records, key=lambda r: r.id):  # run ids sort by start time
        if record.status != "succeeded":
            continue
        for model in record.models:
            found.setdefault((model.name, model.version), []).append((record, model))
    versions = [_version(recorded) for recorded in found.values()]
    return sorted(versions, key=lambda v: (v.runs[-1], v.name, v.oid), reverse=True)


def _version(recorded: list[tuple[RecordedRun, MadeVersion]]) -> Version:
    (first, model), (newest, _) = recorded[0], recorded[-1]
    runs = tuple(run.id for run, _ in recorded)
    return Version(
        model.name,
        model.version,
        model.step,
        model.output,
        first.id,
        first.created,
        runs,
        newest.created,
    )


def is_version_prefix(text: str) -> bool:
    return bool(text) and set(text) <= _HEX


def match_version(
    name: str, versions: Sequence[Version], prefix: str, aliases: list[str]
) -> Version:
    """The one version of ``name`` whose id starts with ``prefix`` (a whole
    id wins over longer ones it prefixes)."""
    prefix = prefix.strip().lower()
    matches = [v for v in versions if is_version_prefix(prefix) and v.oid.startswith(prefix)]
    exact = [v for v in matches if v.oid == prefix]
    if exact:
        return exact[0]
    if not matches:
        raise UnknownVersionError(name, prefix, aliases)
    if len(matches) > 1:
        raise AmbiguousVersionError(name, prefix, sorted(v.oid for v in matches))
    return matches[0]
