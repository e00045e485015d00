"""Files and folders a step returns, as trees in the store.

A folder becomes its snapshot tree (``path``). A file becomes a tree of one
entry, its base name (``file``): the same tree ``repro snapshot <file>``
makes, and it keeps the name, so a loaded ``model.onnx`` or ``data.csv.gz``
still says what it holds. The artifact's materializer name tells the two
apart on load. Empty sub-folders are not kept: trees hold files.

A load checks the tree out into ``<workdir>/<oid>`` and returns the folder
(or the file in it). Loading twice is a no-op the second time; a checkout
folder that was changed since is put back as the tree says.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from repro.materialize.base import Artifact, MaterializeOptions, Materializer
from repro.materialize.errors import InvalidArtifactError

if TYPE_CHECKING:
    from repro.store import ObjectStore, Tree

__all__ = ["FileMaterializer", "PathMaterializer", "hashing_jobs"]

_temp_root: str | None = None
_temp_lock = threading.Lock()


class FileMaterializer(Materializer):
    name = "file"
    version = "1"

    def handles(self, value: object) -> bool:
        return isinstance(value, Path) and value.is_file()

    def dump(self, value: object, store: ObjectStore, options: MaterializeOptions) -> Artifact:
        assert isinstance(value, Path)
        if not value.is_file():
            raise self.refuse(value, f"{value} is not a file")
        return _snapshot(self, value, store, options)

    def load(self, artifact: Artifact, store: ObjectStore, options: MaterializeOptions) -> object:
        tree = _checkout(self, artifact, store, options)
        if len(tree) != 1 or "/" in tree.entries[0].path:
            raise InvalidArtifactError(f"tree {artifact.oid} holds more than one file")
        return _destination(artifact, options) / tree.entries[0].path


class PathMaterializer(Materializer):
    name = "path"
    version = "1"

    def handles(self, value: object) -> bool:
        return isinstance(value, Path)

    def dump(self, value: object, store: ObjectStore, options: MaterializeOptions) -> Artifact:
        assert isinstance(value, Path)
        if not value.is_dir():
            what = "does not exist" if not value.exists() else "is not a folder or a file"
            raise self.refuse(value, f"{value} {what}")
        return _snapshot(self, value, store, options)

    def load(self, artifact: Artifact, store: ObjectStore, options: MaterializeOptions) -> object:
        _checkout(self, artifact, store, options)
        return _destination(artifact, options)


def _snapshot(
    materializer: Materializer, path: Path, store: ObjectStore, options: MaterializeOptions
) -> Artifact:
    from repro.snapshot import snapshot

    if options.algorithm != store.algorithm.name:
        reason = f"options use {options.algorithm}, the store {store.algorithm.name}"
        raise materializer.refuse(path, reason)
    result = snapshot(str(path), algorithm=options.algorithm, store=store, jobs=hashing_jobs())
    return materializer.artifact(path, result.oid, "tree", result.bytes)


def hashing_jobs() -> int | None:
    """One hashing process in a worker thread: the hashing pool forks, and a
    fork taken while other threads hold locks can deadlock the child."""
    return None if threading.current_thread() is threading.main_thread() else 1


def _checkout(
    materializer: Materializer, artifact: Artifact, store: ObjectStore, options: MaterializeOptions
) -> Tree:
    from repro.snapshot.checkout import checkout
    from repro.store import read_tree

    materializer.expect_kind(artifact, "tree")
    tree = read_tree(store, artifact.oid)
    dest = _destination(artifact, options)
    # The folder is named by the tree's id and belongs to this load alone:
    # whatever differs from the tree is put back, never kept.
    checkout(store, tree, str(dest), force=True)
    dest.mkdir(parents=True, exist_ok=True)  # an empty tree creates nothing
    return tree


def _destination(artifact: Artifact, options: MaterializeOptions) -> Path:
    root = options.workdir if options.workdir is not None else _default_root()
    return Path(root) / artifact.oid


def _default_root() -> str:
    """One temp folder per process, so that loads of the same artifact share
    a checkout; removed when the process exits."""
    global _temp_root
    with _temp_lock:
        if _temp_root is None:
            _temp_root = tempfile.mkdtemp(prefix="repro-materialize-")
            atexit.register(shutil.rmtree, _temp_root, ignore_errors=True)
        return _temp_root
