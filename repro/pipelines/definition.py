"""``@pipeline``: a function whose body wires steps together; its keyword
parameters (with defaults) are the run's parameters."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

from repro.errors import ReproError, UsageError
from repro.hashing import canonical_dumps
from repro.pipelines.data import Dataset, Model
from repro.pipelines.graph import Graph, building
from repro.usercode import refuse_while_importing

__all__ = [
    "InvalidParameterError",
    "MissingParameterError",
    "Pipeline",
    "PipelineDefinitionError",
    "UnknownParameterError",
    "pipeline",
]


class PipelineDefinitionError(UsageError):
    def __init__(self, pipeline: str, error: BaseException) -> None:
        import os
        import traceback

        self.pipeline = pipeline
        # The user's place, not ours: the last frame outside repro.
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if not frame.filename.startswith(package + os.sep)
        ]
        last = frames[-1] if frames else None
        where = f" ({os.path.basename(last.filename)}, line {last.lineno})" if last else ""
        super().__init__(
            f"defining pipeline {pipeline!r} failed: {type(error).__name__}: {error}{where}"
        )


class UnknownParameterError(UsageError, KeyError):
    def __init__(self, pipeline: str, name: str, known: list[str]) -> None:
        self.pipeline = pipeline
        self.name = name
        choices = ", ".join(known) or "none"
        super().__init__(f"pipeline {pipeline!r} has no parameter {name!r} (parameters: {choices})")

    def __str__(self) -> str:
        return str(self.args[0])


class MissingParameterError(UsageError, TypeError):
    def __init__(self, pipeline: str, name: str) -> None:
        self.pipeline = pipeline
        self.name = name
        super().__init__(f"pipeline {pipeline!r} needs a value for {name!r}: pass -p {name}=VALUE")


class InvalidParameterError(UsageError, ValueError):
    def __init__(self, pipeline: str, name: str, reason: str) -> None:
        self.pipeline = pipeline
        self.name = name
        super().__init__(f"pipeline {pipeline!r}, parameter {name!r}: {reason}")


class Pipeline:
    __wrapped_pipeline__ = True

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        model: Model | None = None,
        image: str | None = None,
        schedule: str | Sequence[str] | None = None,
    ) -> None:
        self.func = func
        self.name = name or func.__name__
        self.model = model
        self.image = image  # for steps that name none
        # Cron expressions, checked when compiled to a CronWorkflow.
        self.schedules: tuple[str, ...] = (
            (schedule,) if isinstance(schedule, str) else tuple(schedule or ())
        )
        self.signature = inspect.signature(func)
        functools.update_wrapper(self, func)

    def __repr__(self) -> str:
        return f"<pipeline {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Most often a call left at module level: under `repro run` the
        # module is being imported, and the fix is in the user's file.
        refuse_while_importing(f"pipeline {self.name!r}")
        raise UsageError(f"pipeline {self.name!r} is run by repro: `repro run FILE.py:{self.name}`")

    def resolve_params(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overlaid with ``overrides``; a string given for a Dataset
        parameter names another dataset."""
        given = dict(overrides or {})
        known = list(self.signature.parameters)
        for key in given:
            if key not in self.signature.parameters:
                raise UnknownParameterError(self.name, key, known)
        values: dict[str, Any] = {}
        for key, parameter in self.signature.parameters.items():
            if key in given:
                values[key] = self._coerce(key, parameter.default, given[key])
            elif parameter.default is not inspect.Parameter.empty:
                values[key] = parameter.default
            else:
                raise MissingParameterError(self.name, key)
        return values

    def _coerce(self, key: str, default: Any, value: Any) -> Any:
        if isinstance(default, Dataset) and isinstance(value, str):
            given = Dataset(value)
            # Another URL for a referenced dataset is referenced too, not copied.
            return Dataset(value, default.mode) if given.is_remote else given
        if not isinstance(value, Dataset):
            try:
                canonical_dumps(value)
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError(self.name, key, f"not a JSON value: {exc}") from exc
        return value

    def build(self, params: Mapping[str, Any]) -> Graph:
        """The DAG of one run. An error in the pipeline's own body is the
        user's to fix: it is reported with its place, as one line."""
        with building() as builder:
            try:
                self.func(**params)
            except ReproError:
                raise
            except Exception as exc:
                raise PipelineDefinitionError(self.name, exc) from exc
        return builder.graph


@overload
def pipeline(func: Callable[..., Any], /) -> Pipeline: ...
@overload
def pipeline(
    *,
    name: str | None = None,
    model: Model | None = None,
    image: str | None = None,
    schedule: str | Sequence[str] | None = None,
) -> Callable[[Callable[..., Any]], Pipeline]: ...
def pipeline(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    model: Model | None = None,
    image: str | None = None,
    schedule: str | Sequence[str] | None = None,
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Declare a pipeline, with or without arguments. ``image`` is the
    container image of its steps that name none of their own; ``schedule``
    one or more cron expressions (`repro argo render --cron` makes them a
    CronWorkflow)."""

    def wrap(function: Callable[..., Any]) -> Pipeline:
        return Pipeline(function, name=name, model=model, image=image, schedule=schedule)

    return wrap(func) if func is not None else wrap


def plain_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON form of resolved parameters: datasets become their URI."""
    return {k: (v.uri if isinstance(v, Dataset) else v) for k, v in values.items()}
