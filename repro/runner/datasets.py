"""Snapshotting a run's declared data before any step reads it, and making
a recorded snapshot readable again for a replay."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from repro.backends.spec import RunSpec
from repro.errors import ReproError
from repro.lineage.records import InputSnapshot
from repro.pipelines.data import Dataset
from repro.snapshot import StatCache
from repro.store import ObjectStore

if TYPE_CHECKING:
    from repro.snapshot import ReferenceManifest

__all__ = [
    "DataWouldBeLostError",
    "DatasetMissingError",
    "Prepared",
    "escapes",
    "restore_dataset",
    "snapshot_dataset",
    "stage_snapshot",
    "stage_spec_data",
]


class DatasetMissingError(ReproError, FileNotFoundError):
    def __init__(self, uri: str, root: str) -> None:
        self.uri = uri
        super().__init__(f"dataset {uri!r} does not exist in {root}")


@dataclass(frozen=True)
class Prepared:
    snapshot: InputSnapshot
    path: str  # where steps read it, relative to the project root


def snapshot_dataset(
    root: str,
    dataset: Dataset,
    algorithm: str,
    store: ObjectStore | None,
    stat_cache: StatCache | None,
    staging: str | None = None,
) -> Prepared:
    """Snapshot ``dataset`` (stored when ``store`` is given). A URL is also
    copied under ``staging`` (a scratch folder of the run), since steps
    receive a local path."""
    from repro.snapshot import snapshot

    if dataset.mode == "reference":
        return _reference_dataset(dataset, algorithm, store, staging)
    kind: Literal["file", "folder"]
    if dataset.is_remote:
        found = snapshot(dataset.uri, algorithm=algorithm, store=store)
        names = [entry.path for entry in found.tree.entries]
        name = dataset.uri.rstrip("/").rsplit("/", 1)[-1]
        kind = "file" if names == [name] and not dataset.uri.endswith("/") else "folder"
    else:
        local = os.path.join(root, dataset.uri.removeprefix("file://"))
        if not os.path.exists(local):
            raise DatasetMissingError(dataset.uri, root)
        found = snapshot(local, algorithm=algorithm, store=store, stat_cache=stat_cache)
        kind = "file" if os.path.isfile(local) else "folder"
    record = InputSnapshot(
        uri=dataset.uri, oid=found.oid, files=found.files, bytes=found.bytes, kind=kind
    )
    if dataset.is_remote and store is not None and staging is not None:
        return stage_snapshot(store, record, staging)
    return Prepared(record, dataset.uri.removeprefix("file://"))


def _reference_dataset(
    dataset: Dataset, algorithm: str, store: ObjectStore | None, staging: str | None
) -> Prepared:
    """A URL pinned by a manifest of its objects (no byte of them stored);
    with ``staging``, the objects are downloaded there for the steps."""
    from repro.hashing import get_algorithm
    from repro.snapshot import list_reference

    manifest = list_reference(dataset.uri)
    data = manifest.to_bytes()
    oid = store.write(data) if store is not None else get_algorithm(algorithm).hexdigest(data)
    record = InputSnapshot(
        uri=dataset.uri,
        oid=oid,
        files=manifest.files,
        bytes=manifest.size,
        kind=manifest.kind,
        mode="reference",
    )
    if store is None or staging is None:
        return Prepared(record, dataset.uri)
    return Prepared(record, _fetch(record, manifest, staging, dataset.uri))


def _fetch(snapshot: InputSnapshot, manifest: ReferenceManifest, staging: str, uri: str) -> str:
    from repro.snapshot import fetch_reference

    path = os.path.join(staging, snapshot.oid)
    fetch_reference(uri, manifest, path)
    return os.path.join(path, manifest.entries[0].path) if manifest.kind == "file" else path


def stage_snapshot(
    store: ObjectStore, snapshot: InputSnapshot, staging: str, uri: str | None = None
) -> Prepared:
    """A snapshot copied into the run's scratch folder: a URL dataset, or in
    a replay one that the worktree cannot hold (it lies behind a symlink out
    of the project); the step reads what the original run read. A reference
    snapshot is downloaded from ``uri`` (the recorded one by default) at its
    recorded versions, never snapshotted again."""
    from repro.store import read_tree

    if snapshot.mode == "reference":
        from repro.snapshot import read_manifest

        manifest = read_manifest(store, snapshot.oid)
        return Prepared(snapshot, _fetch(snapshot, manifest, staging, uri or snapshot.uri))
    path = os.path.join(staging, snapshot.oid)
    write_tree_files(store, snapshot.oid, path)
    if snapshot.kind == "file":
        path = os.path.join(path, read_tree(store, snapshot.oid).entries[0].path)
    return Prepared(snapshot, path)


def write_tree_files(store: ObjectStore, oid: str, dest: str) -> None:
    """Copy a tree's files into a fresh scratch folder (no link, no stat
    cache: the folder is the run's own and goes away with it)."""
    from repro.atomic import write_atomic
    from repro.store import read_tree

    for entry in read_tree(store, oid).entries:
        target = os.path.join(dest, entry.path)
        write_atomic(target, store.read(entry.oid))
        if entry.executable:
            os.chmod(target, 0o755)


class DataWouldBeLostError(ReproError, FileExistsError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"{path} differs from the run's snapshot and is not stored; "
            "snapshot it first or pass --force"
        )


def restore_dataset(
    store: ObjectStore, root: str, snapshot: InputSnapshot, *, force: bool = True
) -> str | None:
    """Put a recorded local snapshot back where the run read it, inside
    ``root`` (a replay worktree, or the project with ``force`` False: files
    whose content is not stored are never overwritten). Returns the path, or
    None for one the run stages from the store instead (a URL, or data
    behind a symlink leading out of ``root``)."""
    from repro.safepaths import inside
    from repro.snapshot.checkout import checkout
    from repro.store import read_tree

    if Dataset(snapshot.uri).is_remote or escapes(root, snapshot.uri):
        return None
    relative = snapshot.uri.removeprefix("file://")
    target = inside(root, relative, "dataset", never=[store.backend.root])
    tree = read_tree(store, snapshot.oid)
    if snapshot.kind == "file":
        data = store.read(tree.entries[0].oid)
        if not force and os.path.exists(target) and not _same_bytes(target, data):
            raise DataWouldBeLostError(target)
        from repro.atomic import write_atomic

        write_atomic(target, data)
        os.chmod(target, 0o755 if tree.entries[0].executable else 0o644)
    else:
        os.makedirs(target, exist_ok=True)
        checkout(store, tree, target, force=force)
    return snapshot.uri


def escapes(root: str, uri: str) -> bool:
    """A local dataset reached through a symlink leading out of ``root``:
    its files are not the worktree's to overwrite."""
    target = os.path.join(root, uri.removeprefix("file://"))
    real_root = os.path.realpath(root)
    return not os.path.realpath(target).startswith(real_root + os.sep)


def _same_bytes(path: str, data: bytes) -> bool:
    with open(path, "rb") as file:
        return file.read() == data


def stage_spec_data(spec: RunSpec, store: ObjectStore, scratch: str) -> RunSpec:
    """The URL datasets of a run spec, for ``repro step-exec``: where the
    run staged them (a container backend mounts that folder), else copied
    from the store again (the run's scratch folder is gone), or, for a
    reference, downloaded at its recorded versions."""
    from dataclasses import replace

    from repro.store import read_tree

    datasets = {}
    for uri, entry in spec.datasets.items():
        staged = entry["path"]
        if "://" in uri and not uri.startswith("file://") and not os.path.exists(staged):
            path = os.path.join(scratch, "data", entry["oid"])
            if entry.get("mode") == "reference":
                from repro.snapshot import fetch_reference, read_manifest

                manifest = read_manifest(store, entry["oid"])
                fetch_reference(uri, manifest, path)
                entries: list[Any] = list(manifest.entries)
            else:
                write_tree_files(store, entry["oid"], path)
                entries = list(read_tree(store, entry["oid"]).entries)
            single = len(entries) == 1 and not uri.endswith("/")
            if entry.get("kind", "file" if single else "folder") == "file":
                path = os.path.join(path, entries[0].path)
            entry = {**entry, "path": path}
        datasets[uri] = entry
    return replace(spec, datasets=datasets)
