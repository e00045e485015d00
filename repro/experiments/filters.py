"""Selecting runs for ``repro runs list`` and the UI's runs page: by
pipeline, tag, metric threshold, commit and status. A run is selected when
every condition holds.

A malformed condition is an ``InvalidRunFilterError`` naming its field by
the name both places give it (``status``: the option ``--status``, the
page's parameter ``status``), so that its message reads right in each.

A metric is named bare (``rmse``: any step's metric of that name) or with
its step (``train.rmse``); see ``repro.experiments.metrics.step_metrics``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, get_args

from repro.errors import UsageError
from repro.experiments.metrics import step_metrics
from repro.lineage.records import RunRecord, RunStatus
from repro.lineage.runs import KilledRun

__all__ = [
    "InvalidMetricFilterError",
    "InvalidRunFilterError",
    "MetricCondition",
    "RunFilter",
    "parse_metric_filter",
    "parse_tag_filter",
    "select_runs",
]

_OPERATORS: Final[dict[str, Callable[[float, float], bool]]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
# Two-character operators first, so that "<=" is never read as "<" then "=5".
_EXPRESSION: Final = re.compile(r"^\s*([^<>=!\s]+)\s*(<=|>=|==|!=|<|>)\s*(.*?)\s*$")
_HEX: Final = re.compile(r"^[0-9a-f]+$")
_STATUSES: Final[tuple[str, ...]] = get_args(RunStatus)


class InvalidRunFilterError(UsageError, ValueError):
    def __init__(self, field: str, value: str, reason: str) -> None:
        self.field, self.value, self.reason = field, value, reason
        super().__init__(f"{field} {value!r}: {reason}")


class InvalidMetricFilterError(InvalidRunFilterError):
    def __init__(self, expression: str, reason: str) -> None:
        self.expression = expression
        super().__init__("metric", expression, reason)


@dataclass(frozen=True)
class MetricCondition:
    """``metric OP number``; it holds for a run when a value of the metric
    in the run satisfies it."""

    metric: str
    op: str
    value: float

    def holds(self, record: RunRecord) -> bool:
        compare = _OPERATORS[self.op]
        return any(compare(v, self.value) for v in step_metrics(record, self.metric).values())


def parse_metric_filter(expression: str) -> MetricCondition:
    """``rmse<0.5``, ``accuracy>=0.9``, ``train.loss!=0``: a metric, one of
    < <= > >= == !=, and a finite number."""
    match = _EXPRESSION.match(expression)
    if match is None:
        raise InvalidMetricFilterError(
            expression, "expected METRIC OP NUMBER, OP one of < <= > >= == != (e.g. rmse<0.5)"
        )
    metric, op, text = match.groups()
    return MetricCondition(metric, op, _number(expression, text))


def _number(expression: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        reason = f"{text!r} is not a number; compare the metric with one (e.g. rmse<0.5)"
        raise InvalidMetricFilterError(expression, reason)
    return value


def parse_tag_filter(pair: str) -> tuple[str, str]:
    key, sep, value = pair.partition("=")
    if not sep or not key.strip():
        raise InvalidRunFilterError("tag", pair, "expected KEY=VALUE")
    return key.strip(), value


@dataclass(frozen=True)
class RunFilter:
    pipeline: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    metrics: tuple[MetricCondition, ...] = ()
    commit: str | None = None  # a prefix of the commit id
    status: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        pipeline: str | None = None,
        tags: Sequence[str] = (),
        metrics: Sequence[str] = (),
        commit: str | None = None,
        status: str | None = None,
    ) -> RunFilter:
        """A filter from a user's words (options, or a page's parameters);
        a malformed one is an ``InvalidRunFilterError`` naming its field."""
        return cls(
            pipeline=pipeline,
            tags=tuple(parse_tag_filter(pair) for pair in tags),
            metrics=tuple(parse_metric_filter(expression) for expression in metrics),
            commit=None if commit is None else _commit_prefix(commit),
            status=None if status is None else _status(status),
        )

    def matches(self, record: RunRecord) -> bool:
        return (
            self.pipeline in (None, record.pipeline)
            and self.status in (None, record.status)
            and _on_commit(record, self.commit)
            and all(_has_tag(record, key, value) for key, value in self.tags)
            and all(condition.holds(record) for condition in self.metrics)
        )

    def matches_killed(self, run: KilledRun) -> bool:
        """A run killed before its record is interrupted; of the rest only
        its pipeline is known, so a condition on anything else leaves it out."""
        return (
            self.pipeline in (None, run.pipeline)
            and self.status in (None, "interrupted")
            and self.commit is None
            and not self.tags
            and not self.metrics
        )


def _commit_prefix(text: str) -> str:
    prefix = text.strip().lower()
    if not _HEX.match(prefix):
        raise InvalidRunFilterError("commit", text, "expected a commit id or a prefix of one")
    return prefix


def _status(text: str) -> str:
    if text not in _STATUSES:
        raise InvalidRunFilterError("status", text, f"expected one of {', '.join(_STATUSES)}")
    return text


def _on_commit(record: RunRecord, prefix: str | None) -> bool:
    commit = record.git.commit
    return prefix is None or (commit is not None and commit.startswith(prefix))


def _has_tag(record: RunRecord, key: str, value: str) -> bool:
    # A tag describes the run whether the run or one of its steps set it.
    if record.tags.get(key) == value:
        return True
    return any(step.tags.get(key) == value for step in record.steps.values())


def select_runs(records: Iterable[RunRecord], run_filter: RunFilter) -> list[RunRecord]:
    """The records ``run_filter`` matches, in the order given."""
    return [record for record in records if run_filter.matches(record)]
