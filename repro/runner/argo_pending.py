"""A run handed to a cluster and not yet recorded: what ``repro argo
watch`` needs to turn the finished Workflow into a run record, kept in
``.repro/argo/runs/<run>.json`` (local, like a run's spec). A schedule's
is kept as ``.repro/argo/cron/<CronWorkflow>/plans/<plan>.json``: each
Workflow it starts is recorded from the plan it names by ``repro argo
collect``."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from repro.atomic import write_atomic
from repro.errors import ReproError

__all__ = [
    "PendingArgoRun",
    "PendingStep",
    "UnknownArgoRunError",
    "cron_folder",
    "cron_template_path",
    "forget_pending",
    "load_pending",
    "pending_runs",
    "save_cron_template",
    "save_pending",
]

SUFFIX = ".json"


class UnknownArgoRunError(ReproError, LookupError):
    def __init__(self, run: str, known: list[str]) -> None:
        self.run, self.known = run, known
        listed = ", ".join(known) or "none"
        super().__init__(
            f"no run {run!r} was planned for Argo here (awaiting results: {listed}); "
            "render or submit it first (`repro argo submit`)"
        )


@dataclass(frozen=True)
class PendingStep:
    task: str
    position: int
    material: dict[str, Any]  # KeyMaterial.to_dict()
    args: dict[str, Any]  # argument -> {"output": [step, output]} | {"dataset": tree id}
    reason: str
    command: str | None
    upstream: list[str]
    cache: bool = True
    tags: dict[str, str] = field(default_factory=dict)  # declared with @step(tags=)
    conditional: bool = False  # runs only when its `when` holds on the cluster
    # argument -> dataset uri, for the data a schedule snapshots when it fires
    fresh: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingArgoRun:
    run_id: str
    workflow: str
    namespace: str
    remote: str
    plan: str
    draft: dict[str, Any]  # the run record with the cached steps only
    steps: dict[str, PendingStep]  # the scheduled ones
    code_files: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    static: bool = False
    model: dict[str, Any] | None = None
    update_lock: bool = True
    data_task: str | None = None  # a schedule's task that snapshots URL datasets
    unmet: list[str] = field(default_factory=list)  # skipped at planning: a false condition

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> PendingArgoRun:
        doc = json.loads(data)
        doc["steps"] = {name: PendingStep(**step) for name, step in doc["steps"].items()}
        return cls(**doc)


def _folder(repro_dir: str) -> str:
    return os.path.join(repro_dir, "argo", "runs")


def _ignored(repro_dir: str) -> None:
    """`.repro/argo/` is this machine's, like `.repro/runs/`: it ignores
    itself, so that a later run is not recorded as dirty because of it."""
    ignore = os.path.join(repro_dir, "argo", ".gitignore")
    if not os.path.exists(ignore):
        write_atomic(ignore, b"*\n")


def save_pending(repro_dir: str, pending: PendingArgoRun) -> None:
    _ignored(repro_dir)
    write_atomic(os.path.join(_folder(repro_dir), pending.run_id + SUFFIX), pending.to_json())


def pending_runs(repro_dir: str) -> list[str]:
    try:
        names = os.listdir(_folder(repro_dir))
    except FileNotFoundError:
        return []
    return sorted(name[: -len(SUFFIX)] for name in names if name.endswith(SUFFIX))


def load_pending(repro_dir: str, run: str) -> PendingArgoRun:
    from repro.lineage.runs import UnknownRunError, match_run

    known = pending_runs(repro_dir)
    try:
        run_id = match_run(run, known)
    except UnknownRunError:
        raise UnknownArgoRunError(run, known) from None
    with open(os.path.join(_folder(repro_dir), run_id + SUFFIX), "rb") as file:
        return PendingArgoRun.from_json(file.read())


def cron_folder(repro_dir: str, cron: str) -> str:
    return os.path.join(repro_dir, "argo", "cron", cron)


def cron_template_path(repro_dir: str, cron: str, plan: str) -> str:
    """A CronWorkflow's template for the plan its Workflows carry (one per
    plan rendered: a render does not change what an older schedule ran)."""
    return os.path.join(cron_folder(repro_dir, cron), "plans", plan + SUFFIX)


def save_cron_template(repro_dir: str, cron: str, plan: str, pending: PendingArgoRun) -> None:
    _ignored(repro_dir)
    write_atomic(cron_template_path(repro_dir, cron, plan), pending.to_json())


def forget_pending(repro_dir: str, run_id: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(_folder(repro_dir), run_id + SUFFIX))
