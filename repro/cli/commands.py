"""What the CLI commands do, as functions returning data (no printing)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from repro.cli.output import progress_bar
from repro.hashing import HashInfo
from repro.project import Project, find_project
from repro.snapshot import snapshot
from repro.store import FsckReport, Tree, read_tree
from repro.store.errors import InvalidOidError
from repro.store.fsck import fsck

if TYPE_CHECKING:
    from repro.snapshot import CheckoutResult, SnapshotResult, TreeDiff
    from repro.store import FsckReport

__all__ = ["checkout_tree", "diff_targets", "fsck_store", "snapshot_target"]


def snapshot_target(target: str, *, store: bool, jobs: int | None) -> SnapshotResult:
    project = find_project()
    with progress_bar("hashing", None) as advance:
        return snapshot(
            target,
            algorithm=project.config.core.hash,
            store=project.store() if store else None,
            stat_cache=project.stat_cache(),
            jobs=jobs or project.config.core.jobs,
            progress=lambda files, _bytes: advance(files),
        )


def _tree_id(project: Project, text: str) -> str:
    """``text`` as an id of the project's algorithm (``algo:hex`` accepted),
    or a unique prefix of one in the local store, as ``repro runs show``
    prints them."""
    from repro.store import resolve_prefix

    algorithm = project.config.core.hash
    if ":" in text:
        info = HashInfo.parse(text)
        if info.algorithm != algorithm:
            raise InvalidOidError(text, algorithm)
        text = info.oid
    return resolve_prefix(project.store(), text)


def checkout_tree(
    tree_id: str, dest: str, *, force: bool, link_types: list[str] | None
) -> CheckoutResult:
    from repro.snapshot.checkout import checkout

    project = find_project()
    store = project.store()
    tree = read_tree(store, _tree_id(project, tree_id))
    with progress_bar("checking out", len(tree)) as advance:
        return checkout(
            store,
            tree,
            dest,
            link_types=link_types or project.config.cache.type,
            force=force,
            stat_cache=project.stat_cache(),
            progress=advance,
        )


def _tree_of(project: Project, target: str) -> Tree:
    if os.path.exists(target) or "://" in target:
        return snapshot(
            target, algorithm=project.config.core.hash, stat_cache=project.stat_cache()
        ).tree
    return read_tree(project.store(), _tree_id(project, target))


def diff_targets(old: str, new: str) -> TreeDiff:
    from repro.snapshot.diff import diff_trees

    project = find_project()
    return diff_trees(_tree_of(project, old), _tree_of(project, new))


def fsck_store(remote: str | None = None, sample: int | None = None) -> FsckReport:
    """The local cache's check, or with ``remote`` (``""``: the default
    remote) that remote's."""
    project = find_project()
    with progress_bar("checking", None, unit="objects") as advance:
        if remote is not None:
            from repro.runner.remote_fsck import fsck_remote

            return fsck_remote(project, remote or None, sample, progress=advance)
        return fsck(project.store(), progress=advance, sample=sample)
