"""The models pages: every model with its versions and aliases, and one
model's versions (with the metrics of the runs that made them), where each
alias points, and its promotion history from Git.

A model appears when a succeeded run recorded a version of it, or when
models.yaml names it (promoted from runs recorded elsewhere: its aliases
are shown, their versions marked as not recorded here).

The versions are found in the runs' digests (``repro.views.run_summaries``);
the only records loaded are those of the versions shown: each model's
latest on the list, a model's newest ``MAX_VERSIONS`` on its page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from repro.git.errors import NotInGitError
from repro.lineage.runs import RunIndex
from repro.models.errors import UnknownModelError
from repro.models.history import HistoryEntry, promotion_history
from repro.models.lineage import lineage_of
from repro.models.modelsfile import ModelsFile, read_models_file
from repro.models.registry import Registry, models_path
from repro.views.run_summaries import run_summaries

if TYPE_CHECKING:
    from repro.models.versions import Version
    from repro.project import Project

__all__ = [
    "MAX_VERSIONS",
    "AliasTarget",
    "ModelPage",
    "ModelSummary",
    "ModelsIndex",
    "VersionRow",
    "model_page",
    "models_index",
]

MAX_VERSIONS: Final = 50


@dataclass(frozen=True)
class AliasTarget:
    alias: str
    version: str
    run: str
    promoted_at: str
    recorded: bool  # a local run record holds the version


@dataclass(frozen=True)
class VersionRow:
    oid: str
    run: str  # the first run that recorded it
    runs: tuple[str, ...]
    step: str
    output: str
    created: str
    aliases: tuple[str, ...]
    latest: bool
    metrics: dict[str, dict[str, float]]  # step -> name -> value, of ``run``
    params: dict[str, Any]  # of ``run``
    tags: dict[str, str]  # of ``run``


@dataclass(frozen=True)
class ModelSummary:
    name: str
    versions: int
    aliases: tuple[AliasTarget, ...]
    latest: VersionRow | None  # None when no local run recorded a version


@dataclass(frozen=True)
class ModelsIndex:
    models: tuple[ModelSummary, ...]  # by name
    models_file: str  # where the aliases are kept


@dataclass(frozen=True)
class ModelPage:
    name: str
    versions: tuple[VersionRow, ...]  # the newest MAX_VERSIONS, newest first
    version_count: int  # every version recorded here
    aliases: tuple[AliasTarget, ...]
    history: tuple[HistoryEntry, ...] | None  # newest first; None outside Git

    @property
    def more(self) -> int:
        """Older versions left out."""
        return self.version_count - len(self.versions)


def models_index(project: Project) -> ModelsIndex:
    """Every model the local runs recorded or models.yaml names."""
    versions, promotions = _versions(project)
    by_name = _by_name(versions)
    names = sorted(by_name.keys() | promotions.models.keys())
    latest = [found[0] for found in by_name.values()]
    registry = _registry(project, versions, promotions, latest)
    return ModelsIndex(
        models=tuple(_summary(registry, name, by_name.get(name, [])) for name in names),
        models_file=registry.models_path,
    )


def model_page(project: Project, name: str) -> ModelPage:
    """Model ``name``'s newest versions, aliases and promotion history."""
    versions, promotions = _versions(project)
    by_name = _by_name(versions)
    if name not in by_name and name not in promotions.models:
        raise UnknownModelError(name, sorted(by_name.keys() | promotions.models.keys()))
    found = by_name.get(name, [])
    shown = found[:MAX_VERSIONS]
    registry = _registry(project, versions, promotions, shown)
    return ModelPage(
        name=name,
        versions=tuple(_row(registry, version, version is found[0]) for version in shown),
        version_count=len(found),
        aliases=_aliases(registry, name, found),
        history=_history(registry.models_path, name),
    )


def _versions(project: Project) -> tuple[tuple[Version, ...], ModelsFile]:
    return run_summaries(project).versions, read_models_file(models_path(project))


def _by_name(versions: Sequence[Version]) -> dict[str, list[Version]]:
    """Model name -> its versions, newest first."""
    found: dict[str, list[Version]] = {}
    for version in versions:
        found.setdefault(version.name, []).append(version)
    return found


def _registry(
    project: Project,
    versions: tuple[Version, ...],
    promotions: ModelsFile,
    shown: Sequence[Version],
) -> Registry:
    """The registry, holding the records of the runs that made ``shown``."""
    index = RunIndex(project.repro_dir)
    records = {run: index.load(run) for run in sorted({version.run for version in shown})}
    return Registry(models_path(project), versions, records, promotions)


def _summary(registry: Registry, name: str, found: list[Version]) -> ModelSummary:
    return ModelSummary(
        name=name,
        versions=len(found),
        aliases=_aliases(registry, name, found),
        latest=_row(registry, found[0], latest=True) if found else None,
    )


def _row(registry: Registry, version: Version, latest: bool) -> VersionRow:
    lineage = lineage_of(registry, version)
    return VersionRow(
        oid=version.oid,
        run=version.run,
        runs=version.runs,
        step=version.step,
        output=version.output,
        created=version.created,
        aliases=tuple(registry.aliases_to(version)),
        latest=latest,
        metrics=lineage.metrics,
        params=lineage.params,
        tags=lineage.tags,
    )


def _aliases(registry: Registry, name: str, found: list[Version]) -> tuple[AliasTarget, ...]:
    recorded = {version.oid for version in found}
    return tuple(
        AliasTarget(alias, promo.version, promo.run, promo.promoted_at, promo.version in recorded)
        for alias, promo in sorted(registry.aliases_of(name).items())
    )


def _history(path: str, name: str) -> tuple[HistoryEntry, ...] | None:
    try:
        return tuple(promotion_history(path, name))
    except NotInGitError:  # a project made with `repro init --no-scm`
        return None
