"""The runs a schedule made: every finished Workflow its CronWorkflow
started, recorded once (``repro argo collect``) from the template kept when
the CronWorkflow was rendered, with the data its first task snapshotted
when the schedule fired."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from repro.atomic import write_atomic
from repro.errors import ReproError
from repro.project import Project
from repro.runner.argo_pending import (
    PendingArgoRun,
    PendingStep,
    cron_folder,
    cron_template_path,
)
from repro.runner.argo_results import FINISHED_PHASES, ArgoRunOutcome, record_workflow

__all__ = ["CRON_LABEL", "NoScheduleRenderedError", "collect_cron_runs", "cron_names"]

# The label Argo gives each Workflow a CronWorkflow starts.
CRON_LABEL = "workflows.argoproj.io/cron-workflow"


class NoScheduleRenderedError(ReproError, LookupError):
    def __init__(self, cron: str) -> None:
        self.cron = cron
        super().__init__(
            f"no CronWorkflow {cron} was rendered here; its runs are recorded from what "
            "`repro argo render --cron` (or `submit --cron`) keeps: run that first"
        )


PLAN_LABEL = "repro.dev/plan"


def collect_cron_runs(
    project: Project, cron: str, *, server: Any | None = None
) -> list[ArgoRunOutcome]:
    """Record each finished Workflow of the CronWorkflow ``cron`` not yet
    recorded, oldest first, each from the plan it ran. A Workflow of a plan
    rendered elsewhere is left for that machine."""
    if not os.path.isdir(cron_folder(project.repro_dir, cron)):
        raise NoScheduleRenderedError(cron)
    recorded = _recorded(project, cron)
    outcomes = []
    for workflow in _finished(project, cron, server, recorded):
        uid = str(workflow["metadata"].get("uid") or workflow["metadata"]["name"])
        template = _template(project, cron, workflow)
        if template is None:
            continue
        pending = _for_workflow(template, workflow, _run_id(workflow, uid, project))
        outcomes.append(record_workflow(project, pending, workflow))
        recorded[uid] = pending.run_id
        _save_recorded(project, cron, recorded)
    return outcomes


def _finished(
    project: Project, cron: str, server: Any, recorded: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The CronWorkflow's finished Workflows not recorded yet, oldest first."""
    from repro.argo.server import list_workflows
    from repro.runner.argo_follow import argo_server

    namespace = _any_template(project, cron).namespace
    server = server or argo_server(project, namespace)
    found = []
    for workflow in sorted(list_workflows(server, f"{CRON_LABEL}={cron}"), key=_created):
        uid = str(workflow["metadata"].get("uid") or workflow["metadata"]["name"])
        phase = (workflow.get("status") or {}).get("phase")
        if uid not in recorded and phase in FINISHED_PHASES:
            found.append(workflow)
    return found


def _any_template(project: Project, cron: str) -> PendingArgoRun:
    folder = os.path.join(cron_folder(project.repro_dir, cron), "plans")
    names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    if not names:
        raise NoScheduleRenderedError(cron)
    with open(os.path.join(folder, names[0]), "rb") as file:
        return PendingArgoRun.from_json(file.read())


def _template(project: Project, cron: str, workflow: Mapping[str, Any]) -> PendingArgoRun | None:
    plan = (workflow["metadata"].get("labels") or {}).get(PLAN_LABEL)
    if not isinstance(plan, str) or not plan.isalnum():
        return None
    try:
        with open(cron_template_path(project.repro_dir, cron, plan), "rb") as file:
            return PendingArgoRun.from_json(file.read())
    except FileNotFoundError:
        return None


def _recorded_path(project: Project, cron: str) -> str:
    return os.path.join(cron_folder(project.repro_dir, cron), "recorded.json")


def _recorded(project: Project, cron: str) -> dict[str, str]:
    try:
        with open(_recorded_path(project, cron), "rb") as file:
            found: dict[str, str] = json.load(file)
            return found
    except FileNotFoundError:
        return {}


def _save_recorded(project: Project, cron: str, recorded: Mapping[str, str]) -> None:
    data = json.dumps(dict(recorded), sort_keys=True, indent=1).encode()
    write_atomic(_recorded_path(project, cron), data)


def _created(workflow: Mapping[str, Any]) -> str:
    return str(workflow["metadata"].get("creationTimestamp") or "")


def _run_id(workflow: Mapping[str, Any], uid: str, project: Project) -> str:
    """Time-sortable by when the schedule fired, the same for the same
    Workflow (collecting twice, or on two machines, gives one id)."""
    from repro.hashing import get_algorithm
    from repro.lineage.runs import derived_run_id

    created = _created(workflow)
    when = datetime.datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
    stamp = int(when.timestamp() * 1000) if when else 0
    digest = get_algorithm(project.config.core.hash).hexdigest(uid.encode())
    return derived_run_id(stamp, digest)


def _for_workflow(
    template: PendingArgoRun, workflow: Mapping[str, Any], run_id: str
) -> PendingArgoRun:
    """The template as this Workflow ran it: its own id and name, and the
    snapshots its data task took."""
    snapshots = _data_snapshots(template, workflow)
    draft = json.loads(json.dumps(template.draft))
    draft["id"] = run_id
    draft["created"] = _created(workflow) or draft["created"]
    for uri, snapshot in snapshots.items():
        draft["inputs"][uri] = snapshot
    steps = {name: _with_data(step, snapshots) for name, step in template.steps.items()}
    return replace(
        template,
        run_id=run_id,
        workflow=str(workflow["metadata"]["name"]),
        draft=draft,
        steps=steps,
    )


def _with_data(step: PendingStep, snapshots: Mapping[str, Mapping[str, Any]]) -> PendingStep:
    args = dict(step.args)
    for argument, uri in step.fresh.items():
        if uri in snapshots:
            args[argument] = {"dataset": snapshots[uri]["oid"]}
    return replace(step, args=args)


def _data_snapshots(
    template: PendingArgoRun, workflow: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """uri (as recorded: no password) -> the snapshot the data task took."""
    from repro.lineage.records import InputSnapshot
    from repro.lineage.redact import redact_url

    if template.data_task is None:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for node in ((workflow.get("status") or {}).get("nodes") or {}).values():
        if node.get("displayName") != template.data_task or node.get("phase") != "Succeeded":
            continue
        for parameter in (node.get("outputs") or {}).get("parameters") or []:
            try:
                snapshot = InputSnapshot.model_validate_json(parameter.get("value") or "")
            except ValueError:
                continue  # not a snapshot: the task failed to write one
            uri = redact_url(snapshot.uri)
            found[uri] = snapshot.model_copy(update={"uri": uri}).model_dump(mode="json")
    return found


def cron_names(project: Project) -> list[str]:
    folder = os.path.dirname(cron_folder(project.repro_dir, "x"))
    try:
        return sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
