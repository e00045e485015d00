"""Metrics a step logs: kept per step context, checked everywhere, per thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from repro.tracking import InvalidMetricError, StepContext, current_step, log_metric, step_context


def test_log_metric_keeps_the_last_value_per_name() -> None:
    with step_context("train") as context:
        log_metric("loss", 0.9)
        log_metric("loss", 0.2)
        log_metric("epochs", 3)
    assert context == StepContext("train", {"loss": 0.2, "epochs": 3.0})
    assert isinstance(context.metrics["epochs"], float)


def test_step_context_is_current_only_inside() -> None:
    assert current_step() is None
    with step_context("train") as context:
        assert current_step() is context
    assert current_step() is None


def test_log_metric_outside_a_step_is_a_no_op() -> None:
    log_metric("loss", 0.5)
    assert current_step() is None


def test_log_metric_outside_a_step_still_checks_the_value() -> None:
    with pytest.raises(InvalidMetricError, match="the value must be a number"):
        log_metric("loss", "0.5")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("", 1.0, "the name must be a non-empty string"),
        (3, 1.0, "the name must be a non-empty string"),
        ("ok", True, "the value must be a number"),
        ("ok", "1.0", "the value must be a number"),
        ("ok", None, "the value must be a number"),
        ("ok", 1 + 2j, "the value must be a number"),
        ("ok", float("nan"), "the value must be finite"),
        ("ok", float("inf"), "the value must be finite"),
        ("ok", float("-inf"), "the value must be finite"),
        ("ok", np.float64("nan"), "the value must be finite"),
    ],
)
def test_invalid_metrics_are_refused_with_the_reason(
    name: object, value: object, reason: str
) -> None:
    with step_context("train") as context, pytest.raises(InvalidMetricError, match=reason):
        log_metric(name, value)  # type: ignore[arg-type]
    assert context.metrics == {}


def test_invalid_metric_error_names_the_call() -> None:
    with pytest.raises(InvalidMetricError, match=r"log_metric\('acc', 'high'\)"):
        log_metric("acc", "high")  # type: ignore[arg-type]


def test_numpy_numbers_are_accepted_as_floats() -> None:
    with step_context("train") as context:
        log_metric("loss", np.float64(0.25))
        log_metric("count", np.int64(7))  # type: ignore[arg-type]
        log_metric("half", np.float32(0.5))  # type: ignore[arg-type]
    assert context.metrics == {"loss": 0.25, "count": 7.0, "half": 0.5}
    assert all(type(value) is float for value in context.metrics.values())


def test_nested_contexts_collect_apart_and_restore_the_outer() -> None:
    with step_context("outer") as outer:
        log_metric("a", 1)
        with step_context("inner") as inner:
            log_metric("b", 2)
            assert current_step() is inner
        log_metric("c", 3)
        assert current_step() is outer
    assert outer.metrics == {"a": 1.0, "c": 3.0}
    assert inner.metrics == {"b": 2.0}


def test_context_is_reset_when_the_step_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), step_context("train"):
        raise RuntimeError("boom")
    assert current_step() is None


def test_each_thread_sees_its_own_context() -> None:
    barrier = threading.Barrier(2)

    def task(step: str, value: float) -> StepContext:
        with step_context(step) as context:
            barrier.wait(timeout=10)  # both contexts are open at the same time
            log_metric("score", value)
            barrier.wait(timeout=10)
            assert current_step() is context
        return context

    with step_context("main") as main, ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(task, "first", 1.0)
        second = pool.submit(task, "second", 2.0)
        results = [first.result(timeout=10), second.result(timeout=10)]
    assert [(c.step, c.metrics) for c in results] == [
        ("first", {"score": 1.0}),
        ("second", {"score": 2.0}),
    ]
    assert main.metrics == {}


def test_a_worker_thread_does_not_see_the_context_of_its_caller() -> None:
    with step_context("main") as main, ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(current_step).result(timeout=10)
        pool.submit(log_metric, "score", 1.0).result(timeout=10)
    assert seen is None
    assert main.metrics == {}
