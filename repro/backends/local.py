"""The local backend: steps run in this process on a thread pool, so
independent steps overlap (numpy, pandas and scikit-learn release the GIL
in their heavy loops) and a step costs about a function call."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from repro.backends.base import Backend
from repro.backends.execute import ExecutionContext, execute_step
from repro.backends.spec import RunSpec, StepResult, StepSpec

__all__ = ["LocalBackend"]


class LocalBackend(Backend):
    name = "local"

    def __init__(self, context: ExecutionContext, jobs: int = 1) -> None:
        self.context = context
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="repro-step")

    def submit(
        self, run: RunSpec, step: StepSpec, inputs: Mapping[str, Mapping[str, Any]]
    ) -> Future[StepResult]:
        return self.pool.submit(execute_step, run, step, dict(inputs), self.context)

    def close(self, *, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=True)
