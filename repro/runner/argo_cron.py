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
from repro.runner.argo_pending import PendingArgoRun, PendingStep, cron_template_path
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


def collect_cron_runs(
    project: Project, cron: str, *, server: Any | None = None
) -> list[ArgoRunOutcome]:
    """Record each finished Workflow of the CronWorkflow ``cron`` not yet
    recorded, oldest first."""
    from repro.argo.server import list_workflows
    from repro.runner.argo_follow import argo_server

    template = _template(project, cron)
    server = server or argo_server(project, template.namespace)
    recorded = _recorded(project, cron)
    outcomes = []
    workflows = list_workflows(server, f"{CRON_LABEL}={cron}")
    for workflow in sorted(workflows, key=_created):
        uid = str(workflow["metadata"].get("uid") or workflow["metadata"]["name"])
        phase = (workflow.get("status") or {}).get("phase")
        if uid in recorded or phase not in FINISHED_PHASES:
            continue
        pending = _for_workflow(template, workflow, _run_id(workflow, uid, project))
        outcomes.append(record_workflow(project, pending, workflow))
        recorded[uid] = pending.run_id
        _save_recorded(project, cron, recorded)
    return outcomes


def _template(project: Project, cron: str) -> PendingArgoRun:
    try:
        with open(cron_template_path(project.repro_dir, cron), "rb") as file:
            return PendingArgoRun.from_json(file.read())
    except FileNotFoundError:
        raise NoScheduleRenderedError(cron) from None


def _recorded_path(project: Project, cron: str) -> str:
    return cron_template_path(project.repro_dir, cron).removesuffix(".json") + ".runs.json"


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
    folder = os.path.dirname(cron_template_path(project.repro_dir, "x"))
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(
        name.removesuffix(".json")
        for name in names
        if name.endswith(".json") and not name.endswith(".runs.json")
    )
