"""``promote``: point an alias of a model at one of its versions, by an
edit of models.yaml that is reviewed like code (or, with ``commit``,
committed alone so that Git's author and date say who promoted it, when)."""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from repro.atomic import write_atomic
from repro.models.errors import AliasTakenError, InvalidAliasError
from repro.models.modelsfile import ALIAS_PATTERN, Promotion, dump_models_file, utc_now
from repro.models.registry import LATEST, ModelRef, Registry, load_registry
from repro.models.versions import Version, is_version_prefix

if TYPE_CHECKING:
    from repro.project import Project

__all__ = ["PromoteResult", "check_alias", "commit_models_file", "promote"]


@dataclass(frozen=True)
class PromoteResult:
    name: str
    alias: str
    version: str
    run: str
    previous: str | None  # the version the alias pointed to before
    path: str
    changed: bool  # False: the alias already pointed there
    commit: str | None  # the commit made with ``commit``, if there was anything to commit

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_alias(alias: str) -> None:
    if not re.fullmatch(ALIAS_PATTERN, alias):
        raise InvalidAliasError(
            alias, "use a letter, then letters, digits, '.', '_' or '-' (at most 64)"
        )
    if alias == LATEST:
        raise InvalidAliasError(alias, "'latest' always means the newest version")
    if is_version_prefix(alias):
        raise InvalidAliasError(
            alias, "it reads as a version id; choose a name with a non-hex letter"
        )


def promote(
    project: Project,
    name: str,
    version: str,
    alias: str,
    *,
    force: bool = False,
    commit: bool = False,
) -> PromoteResult:
    """Point ``alias`` of model ``name`` at ``version`` (an id prefix, or
    another alias). Moving an alias that points elsewhere takes ``force``."""
    check_alias(alias)
    with _locked(project.repro_dir):
        registry = load_registry(project)
        target = registry.resolve(ModelRef(name, version))
        current = registry.aliases_of(name).get(alias)
        if current is not None and current.version != target.oid and not force:
            raise AliasTakenError(name, alias, current.version, target.oid)
        changed = current is None or current.version != target.oid
        if changed:
            _write(registry, alias, target)
    message = f"models: promote {name} {target.oid} to {alias}"
    made = commit_models_file(registry.models_path, message) if commit else None
    previous = current.version if current is not None else None
    return PromoteResult(
        name, alias, target.oid, target.run, previous, registry.models_path, changed, made
    )


def _write(registry: Registry, alias: str, target: Version) -> None:
    promotion = Promotion(version=target.oid, run=target.run, promoted_at=utc_now())
    updated = registry.promotions.with_alias(target.name, alias, promotion)
    write_atomic(registry.models_path, dump_models_file(updated).encode())


@contextmanager
def _locked(repro_dir: str) -> Iterator[None]:
    """One promotion at a time per project: two would each write the file
    they read, and the first promotion would be lost."""
    folder = os.path.join(repro_dir, "tmp")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "models.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def commit_models_file(path: str, message: str) -> str | None:
    """Commit the file at ``path`` alone (whatever else is staged stays
    staged, uncommitted); the new commit's id, or None when the file is
    already committed as it is."""
    from repro.git.command import open_workdir
    from repro.git.facts import head_commit

    workdir = open_workdir(os.path.dirname(path))
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(workdir.root))
    workdir.check("add", "--", relative)
    if workdir.run("diff", "--cached", "--quiet", "--", relative).ok:
        return None
    workdir.check("commit", "--quiet", "-m", message, "--only", "--", relative)
    return head_commit(workdir)
