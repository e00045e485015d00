"""Where a model version came from: the run that made it and every pin of
that run (commit, image, environment, data snapshots, parameters), the
step and output it is, and the metrics and parameters its run logged."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from repro.models.registry import Registry
from repro.models.versions import Version

__all__ = ["Lineage", "lineage_of"]


@dataclass(frozen=True)
class Lineage:
    name: str
    version: str
    step: str
    output: str
    run: str
    runs: list[str]
    pipeline: str
    target: str
    backend: str
    created: str
    commit: str | None
    branch: str | None
    dirty: bool
    image: str | None
    environment: str
    data: dict[str, str]  # uri -> snapshot id
    params: dict[str, Any]
    artifact: dict[str, Any]  # kind, materializer (and its version), type, size
    executed_in: str  # the run whose step computed the bytes (this one unless cached)
    code: str | None  # the step's code fingerprint
    tags: dict[str, str] = field(default_factory=dict)  # the run's
    # Per step, what it logged: log_metric and log_params.
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    logged_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lineage_of(registry: Registry, version: Version) -> Lineage:
    record = registry.records[version.run]
    step = record.steps[version.step]
    artifact = step.outputs[version.output]
    return Lineage(
        name=version.name,
        version=version.oid,
        step=version.step,
        output=version.output,
        run=record.id,
        runs=list(version.runs),
        pipeline=record.pipeline,
        target=record.target,
        backend=record.backend,
        created=record.created,
        commit=record.git.commit,
        branch=record.git.branch,
        dirty=record.git.dirty,
        image=step.image or record.environment.image,
        environment=record.environment.oid,
        data={uri: snapshot.oid for uri, snapshot in sorted(record.inputs.items())},
        params=dict(record.params),
        artifact=artifact.model_dump(mode="json", exclude={"oid"}),
        executed_in=step.cached_from or record.id,
        code=step.fingerprints.code if step.fingerprints is not None else None,
        tags=dict(record.tags),
        metrics={name: dict(s.metrics) for name, s in record.ordered_steps() if s.metrics},
        logged_params={
            name: dict(s.logged_params) for name, s in record.ordered_steps() if s.logged_params
        },
    )
