"""What a container backend is given beyond the run spec: where the
project, the store and the data outside the project are to be mounted,
the values the spec on disk masks, and how to scrub what steps print."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from repro.pipelines.graph import Graph
from repro.project import Project
from repro.runner.datasets import Prepared, escapes

__all__ = ["container_options"]


def container_options(
    project: Project,
    root: str,
    scratch: str,
    graph: Graph,
    prepared: Mapping[str, Prepared],
    *,
    secrets: Mapping[str, Mapping[str, Any]],
    on_log: Callable[[str, str], None] | None,
    scrub: Callable[[str], str],
) -> dict[str, Any]:
    return {
        "project_root": project.root,
        "store_dir": project.store_dir,
        "secrets": secrets,
        "extra_mounts": outside_mounts(root, scratch, graph, prepared),
        "on_log": on_log,
        "scrub": scrub,
    }


def outside_mounts(
    root: str, scratch: str, graph: Graph, prepared: Mapping[str, Prepared]
) -> list[str]:
    """Local data reached through a symlink out of the project (its target,
    file or folder, mounted at its own path), and the run's staging folder
    of URL datasets, downloaded on the host since containers have no
    network."""
    found = {
        os.path.realpath(os.path.join(root, p.path))
        for uri, p in prepared.items()
        if not graph.datasets[uri].is_remote and escapes(root, p.path)
    }
    staged = os.path.join(scratch, "data")
    if os.path.isdir(staged):
        found.add(staged)
    return sorted(found)
