"""Read-only questions to the registry: which versions there are (``list``)
and everything about one of them (``show``): lineage, aliases, history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from repro.git.errors import NotInGitError
from repro.models.history import HistoryEntry, promotion_history
from repro.models.lineage import Lineage, lineage_of
from repro.models.modelsfile import Promotion
from repro.models.registry import load_registry, parse_ref
from repro.models.versions import Version

if TYPE_CHECKING:
    from repro.project import Project

__all__ = ["ListedVersion", "ModelDetails", "list_versions", "show_model"]


@dataclass(frozen=True)
class ListedVersion:
    version: Version
    aliases: tuple[str, ...]
    latest: bool  # the newest version of its model

    def to_dict(self) -> dict[str, Any]:
        return self.version.to_dict() | {"aliases": list(self.aliases), "latest": self.latest}


@dataclass(frozen=True)
class ModelDetails:
    lineage: Lineage
    aliases: dict[str, Promotion]  # every alias of the model, wherever it points
    latest: bool
    history: list[HistoryEntry]  # the commits that moved an alias of the model, newest first

    def to_dict(self) -> dict[str, Any]:
        return self.lineage.to_dict() | {
            "latest": self.latest,
            "aliases": {a: p.model_dump(mode="json") for a, p in sorted(self.aliases.items())},
            "history": [entry.to_dict() for entry in self.history],
        }


def list_versions(project: Project, name: str | None = None) -> list[ListedVersion]:
    """Every version (of model ``name``, if given), newest first."""
    registry = load_registry(project)
    versions = registry.versions_of(name) if name is not None else list(registry.versions)
    newest = {model: registry.versions_of(model)[0].oid for model in registry.names()}
    return [
        ListedVersion(v, tuple(registry.aliases_to(v)), newest[v.name] == v.oid) for v in versions
    ]


def show_model(project: Project, text: str) -> ModelDetails:
    """The version ``text`` names (``NAME[@VERSION|@ALIAS]``, the newest by
    default), with its lineage and the model's promotions."""
    registry = load_registry(project)
    version = registry.resolve(parse_ref(text))
    return ModelDetails(
        lineage=lineage_of(registry, version),
        aliases=registry.aliases_of(version.name),
        latest=registry.versions_of(version.name)[0].oid == version.oid,
        history=_history(registry.models_path, version.name),
    )


def _history(path: str, name: str) -> list[HistoryEntry]:
    try:
        return promotion_history(path, name)
    except NotInGitError:  # a project made with `repro init --no-scm`: no history to tell
        return []
