"""What a running step reports about itself (metrics, params, tags and
artifacts), collected through a context variable that the executor sets
around each step call. It sits low
in the layers so that both the pipeline API (which exports ``log_metric``)
and the backends (which set the context) can use it without importing each
other."""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from repro.errors import ReproError, UsageError

__all__ = [
    "InvalidMetricError",
    "InvalidTrackingValueError",
    "StepContext",
    "current_step",
    "log_artifact",
    "log_metric",
    "log_params",
    "log_tags",
    "step_context",
]

# Stores a value as the executor stores outputs; returns the artifact (a dict).
ArtifactWriter = Callable[[object], dict[str, Any]]


class InvalidMetricError(ReproError, ValueError):
    def __init__(self, name: object, value: object, reason: str) -> None:
        self.name = name
        self.value = value
        super().__init__(f"log_metric({name!r}, {value!r}): {reason}")


class InvalidTrackingValueError(UsageError, ValueError):
    def __init__(self, call: str, name: object, reason: str) -> None:
        self.call, self.name = call, name
        super().__init__(f"{call}: {name!r}: {reason}")


@dataclass
class StepContext:
    step: str
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    write_artifact: ArtifactWriter | None = None


_current: ContextVar[StepContext | None] = ContextVar("repro_step", default=None)


def current_step() -> StepContext | None:
    return _current.get()


@contextmanager
def step_context(step: str, write_artifact: ArtifactWriter | None = None) -> Iterator[StepContext]:
    context = StepContext(step, write_artifact=write_artifact)
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


def log_params(params: Mapping[str, Any] | None = None, /, **more: Any) -> None:
    """Record parameters of the running step (hyperparameters, settings it
    chose): JSON values, the last value per name wins. They describe the
    run; the cache key covers the step's arguments, not these."""
    given = {**(params or {}), **more}
    for name, value in given.items():
        _check_name("log_params", name)
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidTrackingValueError(
                "log_params", name, f"not a JSON value ({exc})"
            ) from exc
    context = _current.get()
    if context is not None:
        context.params.update(given)


def log_tags(tags: Mapping[str, str] | None = None, /, **more: str) -> None:
    """Tag the running step (``stage="candidate"``): text values, searchable
    with ``repro runs list --tag``."""
    given = {**(tags or {}), **more}
    for name, value in given.items():
        _check_name("log_tags", name)
        if not isinstance(value, str):
            raise InvalidTrackingValueError("log_tags", name, "the value must be text")
    context = _current.get()
    if context is not None:
        context.tags.update(given)


def log_artifact(value: object, name: str | None = None) -> str | None:
    """Keep ``value`` (a file or folder as a ``Path``, or any object a
    materializer stores) with the run, by id, under ``name`` (default: the
    file's name). Returns its object id; None outside a run."""
    from pathlib import Path

    if name is None:
        if not isinstance(value, Path):
            reason = "give a name to an artifact that is not a file"
            raise InvalidTrackingValueError("log_artifact", name, reason)
        name = value.name
    _check_name("log_artifact", name)
    context = _current.get()
    if context is None or context.write_artifact is None:
        return None
    artifact = context.write_artifact(value)
    context.artifacts[name] = artifact
    return str(artifact["oid"])


def _check_name(call: str, name: object) -> None:
    if not isinstance(name, str) or not name:
        raise InvalidTrackingValueError(call, name, "the name must be a non-empty string")
