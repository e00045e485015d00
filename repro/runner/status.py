"""``repro status`` and ``repro run --frozen``: is the committed lock still
true of the code, data, parameters and environment? Nothing is written
(the stat cache aside) and no step runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from repro.lineage.lock import LockedPipeline, conflict_note
from repro.lineage.records import Fingerprints
from repro.pipelines.graph import DatasetRef, OutputRef
from repro.project import Project
from repro.runner.datasets import snapshot_dataset
from repro.runner.fastpath import discovered_id
from repro.runner.images import pin_step_images
from repro.runner.keys import (
    code_of,
    discovered_reason,
    explain,
    import_digests,
    pipeline_files,
    step_key,
    with_import_reads,
)
from repro.runner.lockfile import load_lock
from repro.runner.records import edited_outs
from repro.runner.stepcache import discovered_changes
from repro.runner.targets import Target, load_graph

if TYPE_CHECKING:
    from repro.snapshot import StatCache

__all__ = ["PipelineStatus", "StepStatus", "pipeline_status"]


@dataclass(frozen=True)
class StepStatus:
    step: str
    fresh: bool
    reasons: list[str]


@dataclass
class PipelineStatus:
    pipeline: str
    target: str
    run: str | None
    steps: list[StepStatus] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def fresh(self) -> bool:
        return not self.removed and all(step.fresh for step in self.steps)


def pipeline_status(
    project: Project,
    target: Target,
    params: Mapping[str, Any] | None = None,
    *,
    refuse_latest: bool = False,
) -> PipelineStatus:
    root, algorithm = project.root, project.config.core.hash
    loaded = load_graph(root, target, params or {})
    pipeline, graph = loaded.pipeline, loaded.graph
    stat_cache = project.stat_cache()
    code_files = pipeline_files(root, algorithm)
    imports = import_digests(root, loaded.reads, code_files, algorithm, stat_cache)
    lock = load_lock(project)
    locked = lock.pipelines.get(pipeline.name) if lock else None
    # Judged as the lock was made: a container run's keys hold image digests.
    pin_step_images(
        graph,
        locked.backend if locked else "local",
        root=root,
        default=getattr(pipeline, "image", None),
        refuse_latest=refuse_latest,
        offline=True,
    )
    data = {
        uri: snapshot_dataset(root, dataset, algorithm, None, stat_cache).snapshot.oid
        for uri, dataset in graph.datasets.items()
    }
    result = PipelineStatus(pipeline.name, target.text, locked.run if locked else None)
    conflicted = lock is not None and pipeline.name in lock.conflicts
    conflict = conflict_note(lock, pipeline.name) if lock is not None and conflicted else None
    fresh: dict[str, bool] = {}
    for name, node in graph.nodes.items():
        stale_upstream = [u for u in node.upstream if not fresh.get(u)]
        if conflict is not None and not result.steps:
            # A merge left the entry in doubt: the first step says so, the rest follow.
            status = StepStatus(name, False, [conflict])
        elif stale_upstream:
            status = StepStatus(name, False, [f"upstream step {stale_upstream[0]!r} is stale"])
        elif locked is not None and name in locked.skipped:
            # Its condition's step is fresh: the same value, the same skip.
            status = StepStatus(name, True, [])
        else:
            oids, sources = _inputs(node.args, data, locked)
            code = with_import_reads(
                code_of(node, root, algorithm), node.kind, loaded.reads, imports
            )
            key = step_key(node, oids, root, algorithm, code)
            reasons = explain(name, node, key, locked, sources, imports)
            if not reasons and locked is not None:
                prints = locked.steps[name].fingerprints
                reasons = _discovered_reasons(root, prints, algorithm, stat_cache)
            if not reasons and locked is not None and node.kind == "shell":
                outputs = locked.steps[name].outputs
                edited = edited_outs(project.store(), root, node, outputs, algorithm)
                reasons = [f"out {out} modified" for out in edited]
            status = StepStatus(name, not reasons, reasons)
        fresh[name] = status.fresh
        result.steps.append(status)
    if locked is not None:
        result.removed = sorted(set(locked.steps) - set(graph.nodes))
    return result


def _discovered_reasons(
    root: str, prints: Fingerprints, algorithm: str, stat_cache: StatCache
) -> list[str]:
    """The files the locked run's step was seen to read that changed since."""

    def digest_of(path: str) -> str | None:
        return discovered_id(root, path, algorithm, stat_cache)

    then = prints.discovered
    changed = discovered_changes(then, digest_of)
    return [discovered_reason(path, digest_of(path), then[path]) for path in changed]


def _inputs(
    args: Mapping[str, Any], data: Mapping[str, str], locked: LockedPipeline | None
) -> tuple[dict[str, str], dict[str, str]]:
    oids: dict[str, str] = {}
    sources: dict[str, str] = {}
    for arg, value in args.items():
        if isinstance(value, OutputRef):
            assert locked is not None  # an upstream step is fresh only against a lock
            # A lock edited by hand may not know the output: then it pins
            # nothing for it, and the step cannot be fresh ("" matches no id).
            upstream = locked.steps.get(value.step)
            oids[arg] = upstream.outputs.get(value.output, "") if upstream else ""
            sources[arg] = f"output {value.output!r} of step {value.step!r}"
        elif isinstance(value, DatasetRef):
            oids[arg] = data[value.uri]
            sources[arg] = f"data {value.uri}"
    return oids, sources
