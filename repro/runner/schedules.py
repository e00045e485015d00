"""The schedules of the project's configured pipelines: each one's
``@pipeline(schedule=...)``, or ``[tool.repro.argo.schedules]`` for it
(which wins, so that a cadence can change without touching code), every
cron expression checked."""

from __future__ import annotations

from repro.project import Project
from repro.schedules import Schedule

__all__ = ["pipeline_schedules"]


def pipeline_schedules(project: Project) -> list[Schedule]:
    from repro.argo.cron import check_schedule, check_timezone
    from repro.argo.settings import load_argo_settings
    from repro.runner.targets import configured_pipelines, load_pipeline, resolve_targets

    settings = load_argo_settings(project.root)
    timezone = check_timezone(settings.timezone) if settings.timezone else None
    found = []
    for name in sorted(configured_pipelines(project.root)):
        (target,) = resolve_targets(project.root, name)
        pipeline = load_pipeline(project.root, target)
        crons = settings.schedules.get(pipeline.name) or pipeline.schedules
        if crons:
            checked = tuple(check_schedule(cron) for cron in crons)
            found.append(Schedule(pipeline.name, name, checked, timezone))
    return found
