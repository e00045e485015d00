"""A pipeline's schedule, declared once (``@pipeline(schedule=...)`` or
``[tool.repro.argo.schedules]``), compiled to where it runs: an Argo
CronWorkflow (``repro argo render --cron``) or a CI system's scheduled job
(``repro schedule render github|gitlab``). Pure text building here."""

from repro.schedules.ci import (
    CI_SYSTEMS,
    Schedule,
    UnknownCiSystemError,
    UnsupportedCiScheduleError,
    render_ci_schedules,
)

__all__ = [
    "CI_SYSTEMS",
    "Schedule",
    "UnknownCiSystemError",
    "UnsupportedCiScheduleError",
    "render_ci_schedules",
]
