"""The metrics page: which metrics the runs logged, and one of them across
runs or commits (``repro.experiments.metrics.metric_series``), drawn by
matplotlib as inline SVG.

The metrics on offer and the runs that have the chosen one are read from
the runs' digests (``repro.views.run_summaries``); only the latest
``MAX_RUNS`` of those are loaded and charted, so that the page stays quick
and the chart legible on a store of thousands of runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, get_args

from repro.experiments.metrics import (
    Axis,
    InvalidMetricAxisError,
    MetricSeries,
    UnknownMetricError,
    metric_series,
)
from repro.lineage.runs import RunIndex
from repro.views.run_summaries import RunDigest, run_digests

if TYPE_CHECKING:
    from repro.lineage.records import RunRecord
    from repro.project import Project

__all__ = ["MAX_RUNS", "MetricsChart", "metric_names", "metrics_chart"]

MAX_RUNS: Final = 200
_AXES: Final[tuple[str, ...]] = get_args(Axis)


@dataclass(frozen=True)
class MetricsChart:
    metrics: tuple[str, ...]  # every metric a run logged, as the page names them
    pipelines: tuple[str, ...]  # of every run, for the pipeline filter
    pipeline: str | None  # the runs charted are this pipeline's, if given
    by: str  # run or commit
    metric: str | None  # None: no run logged any metric
    series: MetricSeries | None
    svg: str | None  # matplotlib's drawing of the series; it escapes its text
    runs: int  # runs that logged the metric; the latest MAX_RUNS are charted

    @property
    def truncated(self) -> bool:
        return self.runs > MAX_RUNS

    def parameters(self, metric: str) -> dict[str, str]:
        """The address parameters of ``metric``'s chart, as this one is drawn."""
        found = {"metric": metric, "by": self.by}
        if self.pipeline:
            found["pipeline"] = self.pipeline
        return found


def metrics_chart(
    project: Project, metric: str | None = None, by: str = "run", pipeline: str | None = None
) -> MetricsChart:
    """``metric`` (default: the first on offer) in each run, or in each
    commit's latest run, of ``pipeline`` (default: every pipeline)."""
    if by not in _AXES:
        raise InvalidMetricAxisError(by)
    digests = run_digests(project)
    pipelines = tuple(sorted({digest.pipeline for digest in digests}))
    chosen = [digest for digest in digests if pipeline in (None, digest.pipeline)]
    names = metric_names(chosen)
    metric = metric or (names[0] if names else None)
    if metric is None:
        return MetricsChart(names, pipelines, pipeline, by, None, None, None, 0)
    having = [digest for digest in chosen if digest.metric_steps(metric)]
    if not having:
        raise UnknownMetricError(metric, list(names))
    series = metric_series(_records(project, having[:MAX_RUNS]), metric, by)
    return MetricsChart(
        names, pipelines, pipeline, by, metric, series, _svg(series), runs=len(having)
    )


def metric_names(digests: list[RunDigest]) -> tuple[str, ...]:
    """Each metric by its bare name, unless some run logs it from two steps:
    then by STEP.NAME for each step, so that every name charts without
    ambiguity."""
    steps: dict[str, set[str]] = {}
    shared: set[str] = set()
    for digest in digests:
        seen: set[str] = set()
        for step, names in digest.metrics.items():
            shared.update(seen & names)
            seen.update(names)
            for name in names:
                steps.setdefault(name, set()).add(step)
    found = {name for name in steps if name not in shared}
    found.update(f"{step}.{name}" for name in shared for step in steps[name])
    return tuple(sorted(found))


def _records(project: Project, digests: list[RunDigest]) -> list[RunRecord]:
    index = RunIndex(project.repro_dir)
    return [index.load(digest.id) for digest in digests]


def _svg(series: MetricSeries) -> str:
    from repro.experiments.plot import metric_svg

    return metric_svg(series)
