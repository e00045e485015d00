"""``get``: write a model version's stored bytes to a path. A blob (an
estimator through skops, a pickle) becomes a file of exactly those bytes;
a tree (a folder a step returned) is checked out into a folder."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from repro.atomic import write_atomic
from repro.lineage.records import ArtifactRecord
from repro.models.errors import ModelBytesMissingError, ModelOutputExistsError
from repro.models.registry import load_registry, parse_ref
from repro.models.versions import Version

if TYPE_CHECKING:
    from repro.project import Project
    from repro.store import ObjectStore

__all__ = ["Fetched", "default_name", "get_model"]

# The usual suffix of what each materializer stores, for the default file name.
_SUFFIXES: Final = {
    "sklearn.skops": ".skops",
    "pickle": ".pkl",
    "pandas.parquet": ".parquet",
    "numpy.npy": ".npy",
    "json": ".json",
    "text": ".txt",
}


@dataclass(frozen=True)
class Fetched:
    name: str
    version: str
    path: str
    kind: str  # "blob": a file; "tree": a folder
    materializer: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_name(version: Version, artifact: ArtifactRecord) -> str:
    """``NAME-VERSION12`` plus the suffix of its format (none for a folder)."""
    suffix = _SUFFIXES.get(artifact.materializer, "") if artifact.kind == "blob" else ""
    return f"{version.name.replace(os.sep, '_')}-{version.oid[:12]}{suffix}"


def get_model(
    project: Project, text: str, dest: str | None = None, *, force: bool = False
) -> Fetched:
    """Write the version ``text`` names (``NAME[@VERSION|@ALIAS]``) to ``dest``
    (default: its default name in the current folder). Other bytes at
    ``dest`` are kept unless ``force``."""
    registry = load_registry(project)
    version = registry.resolve(parse_ref(text))
    artifact = registry.records[version.run].steps[version.step].outputs[version.output]
    store = project.store()
    if store.missing({version.oid}):
        raise ModelBytesMissingError(version.name, version.oid)
    path = os.path.abspath(dest or default_name(version, artifact))
    if artifact.kind == "tree":
        _checkout(store, version.oid, path, force)
    else:
        if os.path.isdir(path):
            path = os.path.join(path, default_name(version, artifact))
        _write_blob(store, version.oid, path, force)
    return Fetched(
        version.name, version.oid, path, artifact.kind, artifact.materializer, artifact.size
    )


def _checkout(store: ObjectStore, oid: str, path: str, force: bool) -> None:
    from repro.snapshot.checkout import checkout
    from repro.store import read_tree

    checkout(store, read_tree(store, oid), path, force=force)


def _write_blob(store: ObjectStore, oid: str, path: str, force: bool) -> None:
    if os.path.lexists(path) and not force and not _holds(store, path, oid):
        raise ModelOutputExistsError(path)
    write_atomic(path, store.read(oid))


def _holds(store: ObjectStore, path: str, oid: str) -> bool:
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as file:
        return store.algorithm.hexdigest(file.read()) == oid
