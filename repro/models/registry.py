"""The registry as the run records and models.yaml describe it, and how a
reference (``NAME``, ``NAME@VERSION``, ``NAME@ALIAS``) names one version."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex
from repro.models.errors import AliasTargetMissingError, UnknownModelError
from repro.models.modelsfile import MODELS_FILE, ModelsFile, Promotion, read_models_file
from repro.models.versions import Version, collect_versions, match_version

if TYPE_CHECKING:
    from repro.project import Project

__all__ = ["LATEST", "ModelRef", "Registry", "load_registry", "models_path", "parse_ref"]

LATEST: Final = "latest"


@dataclass(frozen=True)
class ModelRef:
    name: str
    ref: str | None  # a version id prefix, an alias, or None for the latest


def parse_ref(text: str) -> ModelRef:
    """``NAME``, ``NAME@VERSION`` or ``NAME@ALIAS`` (``@latest`` is the newest)."""
    name, at, ref = text.rpartition("@")
    if not at:
        return ModelRef(text, None)
    return ModelRef(name, ref or None)


@dataclass(frozen=True)
class Registry:
    models_path: str
    versions: tuple[Version, ...]  # newest first
    records: Mapping[str, RunRecord]  # the runs that recorded a version, by id
    promotions: ModelsFile

    def names(self) -> list[str]:
        return sorted({version.name for version in self.versions})

    def versions_of(self, name: str) -> list[Version]:
        found = [version for version in self.versions if version.name == name]
        if not found:
            raise UnknownModelError(name, self.names())
        return found

    def aliases_of(self, name: str) -> dict[str, Promotion]:
        return self.promotions.aliases(name)

    def aliases_to(self, version: Version) -> list[str]:
        aliases = self.aliases_of(version.name)
        return sorted(alias for alias, promo in aliases.items() if promo.version == version.oid)

    def resolve(self, ref: ModelRef) -> Version:
        versions = self.versions_of(ref.name)
        if ref.ref is None or ref.ref == LATEST:
            return versions[0]
        aliases = self.aliases_of(ref.name)
        promotion = aliases.get(ref.ref)
        if promotion is None:
            return match_version(ref.name, versions, ref.ref, sorted(aliases))
        for version in versions:
            if version.oid == promotion.version:
                return version
        raise AliasTargetMissingError(ref.name, ref.ref, promotion.version, promotion.run)


def models_path(project: Project) -> str:
    return os.path.join(project.root, MODELS_FILE)


def load_registry(project: Project) -> Registry:
    records = list(RunIndex(project.repro_dir).records())
    versions = collect_versions(records)
    made = {run for version in versions for run in version.runs}
    path = models_path(project)
    return Registry(
        models_path=path,
        versions=tuple(versions),
        records={record.id: record for record in records if record.id in made},
        promotions=read_models_file(path),
    )
