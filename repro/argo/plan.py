"""What a manifest is built from: a planned run reduced to its tasks, pins
and provenance, with nothing of the pipeline objects left. The runner
makes it; ``repro.argo.manifest`` turns it into YAML, the same plan always
into the same bytes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DATA_TASK",
    "OUTPUTS_DIR",
    "REMOTE_ENV",
    "RESULT_PARAMETER",
    "ArgoRemote",
    "InputBinding",
    "TaskPlan",
    "WorkflowPlan",
    "condition_parameter",
    "data_parameter",
    "output_parameter",
    "task_names",
]

# Where a pod writes what Argo reads back as output parameters.
OUTPUTS_DIR = "/tmp/repro"
RESULT_PARAMETER = "repro-result"
# The remote a pod reads and writes, as JSON (credentials come from the Secret).
REMOTE_ENV = "REPRO_ARGO_REMOTE"
# The task of a schedule that snapshots its URL datasets first; a step task
# never gets this name (task names of steps have no "--").
DATA_TASK = "repro--data"


@dataclass(frozen=True)
class ArgoRemote:
    url: str
    options: Mapping[str, Any]
    algorithm: str

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "options": dict(self.options), "algorithm": self.algorithm}


@dataclass(frozen=True)
class InputBinding:
    """A step argument that takes another step's output: from a task that
    runs in the workflow (its output ``parameter``) or, when that step was
    cached, as the artifact itself (``value``, its JSON)."""

    argument: str
    task: str | None = None
    parameter: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class TaskPlan:
    step: str
    task: str  # the step's name made a valid Argo task name
    image: str
    depends: tuple[str, ...]  # tasks
    inputs: tuple[InputBinding, ...]
    outputs: tuple[str, ...]  # the step's output names, in order
    retries: int = 0
    timeout: int | None = None  # seconds
    cpus: float | None = None
    memory: int | None = None  # bytes
    # (argument, index in WorkflowPlan.fresh_data): URL data a schedule
    # snapshots when it fires, which the step reads.
    data: tuple[tuple[str, int], ...] = ()
    # (task, output parameter) that must all be "true" for the task to run
    # (repro.when, its own and its scheduled ancestors').
    when: tuple[tuple[str, str], ...] = ()
    # This step's outputs that other tasks' `when` reads: the pod writes them
    # as "true"/"false".
    condition_outputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkflowPlan:
    run_id: str
    pipeline: str
    plan_oid: str  # the plan object pods read from the remote
    remote: ArgoRemote
    tasks: tuple[TaskPlan, ...]
    commit: str | None = None
    snapshots: Mapping[str, str] = field(default_factory=dict)  # dataset uri -> tree id
    lock_hash: str | None = None
    replay_of: str | None = None
    # URL datasets snapshotted when a schedule fires (by DATA_TASK), not pinned.
    fresh_data: tuple[str, ...] = ()

    @property
    def images(self) -> dict[str, str]:
        return {task.step: task.image for task in self.tasks}


def output_parameter(outputs: tuple[str, ...], name: str) -> str:
    """The output parameter carrying ``name``'s artifact: its name where
    Argo allows it (a file out of a shell step may not), else its position."""
    safe = re.sub(r"[^-a-zA-Z0-9_]", "-", name)
    clashes = [other for other in outputs if re.sub(r"[^-a-zA-Z0-9_]", "-", other) == safe]
    if safe != name or len(clashes) > 1:
        return f"out-{outputs.index(name)}-{safe}"[:128]
    return f"out-{name}"


def condition_parameter(outputs: tuple[str, ...], name: str) -> str:
    return f"when-{outputs.index(name)}"


def data_parameter(index: int) -> str:
    return f"data-{index}"


def task_names(steps: Iterable[str]) -> dict[str, str]:
    """Each step's task name: lower case, digits and '-', starting with a
    letter, unique (a suffix settles two steps that clean up alike)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for step in sorted(steps):
        base = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")[:50] or "step"
        if not base[0].isalpha():
            base = f"s-{base}"
        name, count = base, 1
        while name in taken:
            count += 1
            name = f"{base}-{count}"
        taken.add(name)
        names[step] = name
    return names
