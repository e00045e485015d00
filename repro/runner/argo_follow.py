"""Submitting a planned run to the Argo Server and following its Workflow
until it ends, then recording it (``repro argo submit``/``watch`` and
``repro run --backend argo``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from repro.errors import ReproError
from repro.project import Project
from repro.runner.argo_plan import ArgoRun
from repro.runner.argo_results import FINISHED_PHASES, ArgoRunOutcome, record_workflow

__all__ = ["WatchTimeoutError", "argo_server", "follow_run", "submit_run"]


class WatchTimeoutError(ReproError):
    def __init__(self, run: str, workflow: str, seconds: float, phase: str) -> None:
        self.run, self.workflow, self.seconds = run, workflow, seconds
        super().__init__(
            f"workflow {workflow} is still {phase or 'pending'} after {seconds:g} s; "
            f"its run {run} is recorded when it ends: `repro argo watch {run}`"
        )


def argo_server(project: Project, namespace: str | None = None) -> Any:
    """The Argo Server to talk to: ARGO_SERVER/ARGO_TOKEN, else the
    configured ``server`` (a token only ever from the environment)."""
    from repro.argo.server import server_from_environment
    from repro.argo.settings import load_argo_settings

    settings = load_argo_settings(project.root)
    return server_from_environment(settings.server, namespace or settings.namespace)


def submit_run(project: Project, run: ArgoRun, server: Any | None = None) -> dict[str, Any]:
    """Create the run's Workflow (or apply its CronWorkflow) on the server."""
    from repro.argo.server import apply_cron_workflow, submit_workflow

    namespace = run.manifest["metadata"].get("namespace")
    server = server or argo_server(project, namespace)
    if run.manifest["kind"] == "CronWorkflow":
        return apply_cron_workflow(server, run.manifest)
    return submit_workflow(server, run.manifest)


def follow_run(
    project: Project,
    run: str,
    *,
    server: Any | None = None,
    interval: float = 5.0,
    timeout: float | None = None,
    on_phase: Callable[[str, Mapping[str, Any]], None] = lambda phase, status: None,
) -> ArgoRunOutcome:
    """Poll the run's Workflow until it ends, then record it."""
    from repro.argo.server import get_workflow
    from repro.runner.argo_pending import load_pending

    pending = load_pending(project.repro_dir, run)
    server = server or argo_server(project, pending.namespace)
    started = time.monotonic()
    last = None
    while True:
        workflow = get_workflow(server, pending.workflow)
        status = workflow.get("status") or {}
        phase = str(status.get("phase") or "")
        if phase != last:
            on_phase(phase, status)
            last = phase
        if phase in FINISHED_PHASES:
            return record_workflow(project, pending, workflow)
        if timeout is not None and time.monotonic() - started > timeout:
            raise WatchTimeoutError(pending.run_id, pending.workflow, timeout, phase)
        time.sleep(interval)
