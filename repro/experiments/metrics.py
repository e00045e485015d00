"""Metrics across runs: the values of one metric run after run (or commit
after commit), and the table of one run's metrics.

A metric is named bare (``total``: whichever step logged it) or with its
step (``total.total``): a name whose part before the first dot is a step of
the run names that step's metric; any other name is a bare metric name, so
that metrics with dots in their names still work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from repro.errors import ReproError, UsageError
from repro.lineage.records import RunRecord

__all__ = [
    "AmbiguousMetricError",
    "Axis",
    "InvalidMetricAxisError",
    "MetricPoint",
    "MetricRow",
    "MetricSeries",
    "MetricsTable",
    "UnknownMetricError",
    "available_metrics",
    "latest_runs",
    "metric_series",
    "metrics_table",
    "step_metrics",
]

Axis = Literal["run", "commit"]
_AXES: Final[tuple[str, ...]] = get_args(Axis)


class UnknownMetricError(ReproError, LookupError):
    def __init__(self, metric: str, available: list[str]) -> None:
        self.metric, self.available = metric, available
        shown = ", ".join(available) if available else "none (log one with repro.log_metric)"
        super().__init__(f"no run has a metric {metric!r}; metrics recorded: {shown}")


class AmbiguousMetricError(ReproError, LookupError):
    def __init__(self, metric: str, run: str, steps: list[str]) -> None:
        self.metric, self.run, self.steps = metric, run, steps
        super().__init__(
            f"run {run}: steps {', '.join(steps)} each log {metric!r}; "
            f"name one as STEP.METRIC (e.g. {steps[0]}.{metric})"
        )


class InvalidMetricAxisError(UsageError, ValueError):
    def __init__(self, by: str) -> None:
        self.by = by
        # Named as the CLI's option (--by) and the metrics page's parameter are.
        super().__init__(f"by {by!r}: expected one of {', '.join(_AXES)}")


def step_metrics(record: RunRecord, metric: str) -> dict[str, float]:
    """The values of ``metric`` in ``record``, by step (in step order)."""
    step, dot, name = metric.partition(".")
    if dot and step in record.steps:
        found = record.steps[step].metrics
        return {step: found[name]} if name in found else {}
    return {s: r.metrics[metric] for s, r in record.ordered_steps() if metric in r.metrics}


def latest_runs(records: Iterable[RunRecord]) -> list[RunRecord]:
    """The latest run of each pipeline, in the order of their pipelines' names.
    A replay is never one: it re-made an earlier run's results."""
    latest: dict[str, RunRecord] = {}
    for record in sorted(records, key=_run_time):
        if record.replay_of is None:
            latest[record.pipeline] = record
    return [latest[name] for name in sorted(latest)]


def _run_time(record: RunRecord) -> tuple[str, str]:
    return record.created, record.id


def available_metrics(records: Iterable[RunRecord]) -> list[str]:
    return sorted({name for record in records for s in record.steps.values() for name in s.metrics})


@dataclass(frozen=True)
class MetricPoint:
    run: str
    pipeline: str
    created: str
    commit: str | None
    dirty: bool
    step: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "pipeline": self.pipeline,
            "created": self.created,
            "commit": self.commit,
            "dirty": self.dirty,
            "step": self.step,
            "value": self.value,
        }


@dataclass(frozen=True)
class MetricSeries:
    metric: str
    by: Axis
    points: tuple[MetricPoint, ...]

    def labels(self) -> list[str]:
        """What names each point on a chart's axis: its run, or its commit."""
        if self.by == "run":
            return [point.run for point in self.points]
        return [(point.commit or "no commit")[:10] for point in self.points]

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "by": self.by,
            "points": [point.to_dict() for point in self.points],
        }


def metric_series(records: Iterable[RunRecord], metric: str, by: str = "run") -> MetricSeries:
    """``metric`` in each run that has it, ordered by run time; ``by="commit"``
    keeps the latest run of each commit."""
    axis = _axis(by)
    ordered = sorted(records, key=_run_time)
    points = [point for record in ordered if (point := _point(record, metric)) is not None]
    if not points:
        raise UnknownMetricError(metric, available_metrics(ordered))
    if axis == "commit":
        points = _latest_per_commit(points)
    return MetricSeries(metric, axis, tuple(points))


def _axis(by: str) -> Axis:
    if by == "run":
        return "run"
    if by == "commit":
        return "commit"
    raise InvalidMetricAxisError(by)


def _point(record: RunRecord, metric: str) -> MetricPoint | None:
    values = step_metrics(record, metric)
    if not values:
        return None
    if len(values) > 1:
        raise AmbiguousMetricError(metric, record.id, list(values))
    [(step, value)] = values.items()
    git = record.git
    return MetricPoint(
        record.id, record.pipeline, record.created, git.commit, git.dirty, step, value
    )


def _latest_per_commit(points: list[MetricPoint]) -> list[MetricPoint]:
    # ``points`` is in run order: the last point of a commit is its latest run.
    latest = {point.commit: point for point in points}
    return sorted(latest.values(), key=lambda point: (point.created, point.run))


@dataclass(frozen=True)
class MetricRow:
    step: str
    metric: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "metric": self.metric, "value": self.value}


@dataclass(frozen=True)
class MetricsTable:
    run: str
    pipeline: str
    created: str
    commit: str | None
    rows: tuple[MetricRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "pipeline": self.pipeline,
            "created": self.created,
            "commit": self.commit,
            "metrics": [row.to_dict() for row in self.rows],
        }


def metrics_table(record: RunRecord) -> MetricsTable:
    """Every metric of ``record``, step by step in definition order."""
    rows = tuple(
        MetricRow(step, name, value)
        for step, found in record.ordered_steps()
        for name, value in sorted(found.metrics.items())
    )
    return MetricsTable(record.id, record.pipeline, record.created, record.git.commit, rows)
