"""The interface every backend implements: given a run spec, execute the
steps handed to it and report each result. The runner decides what runs
and when; a backend only decides where."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from repro.backends.spec import RunSpec, StepResult, StepSpec
from repro.errors import UsageError

__all__ = ["Backend", "UnknownBackendError", "open_backend"]

BACKENDS = ("local", "docker", "argo")


class UnknownBackendError(UsageError, LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown backend {name!r} (available: {', '.join(BACKENDS)})")


class Backend(ABC):
    name: str

    @abstractmethod
    def submit(
        self, run: RunSpec, step: StepSpec, inputs: Mapping[str, Mapping[str, Any]]
    ) -> Future[StepResult]: ...

    def close(self, *, wait: bool = True) -> None:  # noqa: B027 - most hold nothing
        """Release workers; ``wait=False`` abandons steps in flight (Ctrl-C)."""


def open_backend(name: str, **options: Any) -> Backend:
    if name == "local":
        from repro.backends.local import LocalBackend

        return LocalBackend(**options)
    if name == "docker":
        from repro.backends.docker import DockerBackend

        return DockerBackend(**options)
    if name == "argo":
        # A whole DAG goes to a cluster at once (repro.runner.argo_plan),
        # never step by step.
        raise UsageError("the argo backend runs whole workflows: `repro run --backend argo`")
    raise UnknownBackendError(name)
