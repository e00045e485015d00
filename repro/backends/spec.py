"""The serialized plan a backend executes: what to run for each step and
where its inputs come from. Backends receive only this (never pipeline
objects), so a container or an Argo pod can run a step from it alone."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["SECRETS_ENV", "RunSpec", "StepResult", "StepSpec"]

# A container backend hands `repro step-exec` the values the spec on disk
# masks (secret parameters) in this environment variable, as JSON.
SECRETS_ENV = "REPRO_STEP_SECRETS"


@dataclass(frozen=True)
class StepSpec:
    name: str
    kind: str  # "python" or "shell"
    outputs: tuple[str, ...]
    output_mode: str  # "single", "tuple", "dict" or "files"
    # Each argument is one of {"output": [step, output]}, {"dataset": uri}, {"value": json}.
    args: dict[str, dict[str, Any]]
    module: str | None = None
    qualname: str | None = None
    command: str | None = None
    image: str | None = None  # pinned by digest, on a container backend
    # A container's limits: no network unless asked, CPUs, memory in bytes,
    # seconds before it is killed.
    network: bool = False
    cpus: float | None = None
    memory: int | None = None
    timeout: float | None = None

    def upstream(self) -> list[str]:
        return sorted({a["output"][0] for a in self.args.values() if "output" in a})


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    pipeline: str
    algorithm: str
    allow_pickle: bool
    # dataset uri -> {"oid": tree id, "path": where a step reads it, relative to the project root}
    datasets: dict[str, dict[str, str]]
    steps: dict[str, StepSpec]
    # The repro that planned the run: a container's must be the same one.
    repro: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        doc = json.loads(text)
        steps = {}
        for name, raw in doc.pop("steps").items():
            raw["outputs"] = tuple(raw["outputs"])
            steps[name] = StepSpec(**raw)
        return cls(steps=steps, **doc)


@dataclass
class StepResult:
    name: str
    status: str  # "executed" or "failed"
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> Artifact.to_dict()
    metrics: dict[str, float] = field(default_factory=dict)
    started: str | None = None
    duration: float = 0.0
    error: str | None = None
    # Outs a shell step found in the work tree before it ran, kept in the
    # store (out -> tree id) since the step replaces them.
    kept: dict[str, str] = field(default_factory=dict)
    log: str | None = None  # object id of what a container step printed
    # What the step logged: log_params, log_tags, log_artifact (name -> artifact).
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Files in the project the step opened that it did not declare (path ->
    # content id, None: absent), and those it wrote beside its outs; None:
    # nothing watched it (a shell step with no tracer).
    discovered: dict[str, str | None] | None = None
    undeclared_writes: list[str] = field(default_factory=list)
    # Programs a Python step started: what they read is not seen.
    processes: list[str] = field(default_factory=list)
    # Top-level modules of installed packages a shell step's programs opened.
    modules: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> StepResult:
        return cls(**doc)
