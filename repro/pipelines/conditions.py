"""``with repro.when(output):``: the steps called inside run only when a
boolean output of an upstream step is true (retrain only on drift); when
it is false they are recorded as skipped, with the reason, and the run
still succeeds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from repro.pipelines.graph import (
    InvalidStepArgumentError,
    NotInPipelineError,
    OutputRef,
    StepOutput,
    active_builder,
)

__all__ = ["condition_value", "when"]


@contextmanager
def when(condition: StepOutput) -> Iterator[None]:
    builder = active_builder()
    if builder is None:
        raise NotInPipelineError("repro.when")
    if not isinstance(condition, StepOutput):
        raise InvalidStepArgumentError(
            "when", "condition", f"give one output of a step, not a {type(condition).__name__}"
        )
    builder.conditions.append(OutputRef(condition.step, condition.output))
    try:
        yield
    finally:
        builder.conditions.pop()


def condition_value(value: object) -> bool | None:
    """The truth of a condition's output: a bool (numpy's too), or an object
    that says what its truth is (a drift report: whether it drifted);
    None for anything else (a number, a list), which is an error."""
    import numbers

    if type(value).__name__ in ("bool", "bool_"):
        return bool(value)
    if isinstance(value, numbers.Number) or "__bool__" not in vars(type(value)):
        return None
    try:
        return bool(value)
    except (ValueError, TypeError):  # an array of several: no single truth
        return None
