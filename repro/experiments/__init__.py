"""Tracking queries over run records: which runs match a filter, how runs
compare (and why each step's cache key differs), a metric across runs or
commits, and a chart of it. Pure functions over records; the CLI loads them.
"""

from repro.lazy import lazy_exports

__all__ = [
    "Comparison",
    "MetricSeries",
    "MetricsTable",
    "RunFilter",
    "RunSummary",
    "compare_runs",
    "metric_series",
    "metrics_table",
    "parse_metric_filter",
    "plot_metric",
    "select_runs",
]

__getattr__ = lazy_exports(
    globals(),
    {
        "Comparison": "repro.experiments.compare",
        "compare_runs": "repro.experiments.compare",
        "RunFilter": "repro.experiments.filters",
        "parse_metric_filter": "repro.experiments.filters",
        "select_runs": "repro.experiments.filters",
        "MetricSeries": "repro.experiments.metrics",
        "MetricsTable": "repro.experiments.metrics",
        "metric_series": "repro.experiments.metrics",
        "metrics_table": "repro.experiments.metrics",
        "plot_metric": "repro.experiments.plot",
        "RunSummary": "repro.experiments.summary",
    },
)
