"""What a running step reports about itself (metrics), collected through a
context variable that the executor sets around each step call. It sits low
in the layers so that both the pipeline API (which exports ``log_metric``)
and the backends (which set the context) can use it without importing each
other."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from repro.errors import ReproError

__all__ = ["InvalidMetricError", "StepContext", "current_step", "log_metric", "step_context"]


class InvalidMetricError(ReproError, ValueError):
    def __init__(self, name: object, value: object, reason: str) -> None:
        self.name = name
        self.value = value
        super().__init__(f"log_metric({name!r}, {value!r}): {reason}")


@dataclass
class StepContext:
    step: str
    metrics: dict[str, float] = field(default_factory=dict)


_current: ContextVar[StepContext | None] = ContextVar("repro_step", default=None)


def current_step() -> StepContext | None:
    return _current.get()


@contextmanager
def step_context(step: str) -> Iterator[StepContext]:
    context = StepContext(step)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def log_metric(name: str, value: float) -> None:
    """Record a metric of the running step (the last value per name wins).

    Outside a run (a step called as a plain function, in a unit test, say)
    the value is checked and then dropped."""
    if not isinstance(name, str) or not name:
        raise InvalidMetricError(name, value, "the name must be a non-empty string")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidMetricError(name, value, "the value must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidMetricError(name, value, "the value must be finite")
    context = _current.get()
    if context is not None:
        context.metrics[name] = number
