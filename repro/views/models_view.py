"""The models pages: every model with its versions and aliases, and one
model's versions (with the metrics of the runs that made them), where each
alias points, and its promotion history from Git.

A model appears when a succeeded run recorded a version of it, or when
models.yaml names it (promoted from runs recorded elsewhere: its aliases
are shown, their versions marked as not recorded here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from repro.git.errors import NotInGitError
from repro.models.errors import UnknownModelError
from repro.models.history import HistoryEntry, promotion_history
from repro.models.lineage import lineage_of
from repro.models.registry import Registry, load_registry

if TYPE_CHECKING:
    from repro.models.versions import Version
    from repro.project import Project

__all__ = [
    "AliasTarget",
    "ModelPage",
    "ModelSummary",
    "ModelsIndex",
    "VersionRow",
    "model_page",
    "models_index",
]


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
    versions: tuple[VersionRow, ...]  # newest first
    aliases: tuple[AliasTarget, ...]
    history: tuple[HistoryEntry, ...] | None  # newest first; None outside Git


def models_index(project: Project) -> ModelsIndex:
    """Every model the local runs recorded or models.yaml names."""
    registry = load_registry(project)
    return ModelsIndex(
        models=tuple(_summary(registry, name) for name in _names(registry)),
        models_file=registry.models_path,
    )


def model_page(project: Project, name: str) -> ModelPage:
    """Model ``name``'s versions, aliases and promotion history."""
    registry = load_registry(project)
    if name not in _names(registry):
        raise UnknownModelError(name, _names(registry))
    return ModelPage(
        name=name,
        versions=_versions(registry, name),
        aliases=_aliases(registry, name),
        history=_history(registry.models_path, name),
    )


def _names(registry: Registry) -> list[str]:
    return sorted(set(registry.names()) | set(registry.promotions.models))


def _summary(registry: Registry, name: str) -> ModelSummary:
    versions = _versions(registry, name)
    return ModelSummary(
        name=name,
        versions=len(versions),
        aliases=_aliases(registry, name),
        latest=versions[0] if versions else None,
    )


def _versions(registry: Registry, name: str) -> tuple[VersionRow, ...]:
    if name not in registry.names():
        return ()
    versions = registry.versions_of(name)
    return tuple(_row(registry, version, version is versions[0]) for version in versions)


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


def _aliases(registry: Registry, name: str) -> tuple[AliasTarget, ...]:
    recorded = {version.oid for version in registry.versions if version.name == name}
    return tuple(
        AliasTarget(alias, promo.version, promo.run, promo.promoted_at, promo.version in recorded)
        for alias, promo in sorted(registry.aliases_of(name).items())
    )


def _history(path: str, name: str) -> tuple[HistoryEntry, ...] | None:
    try:
        return tuple(promotion_history(path, name))
    except NotInGitError:  # a project made with `repro init --no-scm`
        return None
