"""``@step`` and ``sh``: the units a pipeline is made of.

``@step`` keeps the plain function on ``.func``: called outside a pipeline
definition, a step is just that function (so it can be unit-tested);
called inside one, it adds a node to the graph and returns placeholders."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

from repro.pipelines.data import Dataset
from repro.pipelines.graph import (
    Arg,
    InvalidStepArgumentError,
    Limits,
    Literal,
    Node,
    NotInPipelineError,
    OutputRef,
    StepOutput,
    StepOutputs,
    active_builder,
)

__all__ = ["Step", "sh", "step"]


class Step:
    """A step definition: metadata beside the untouched function."""

    __wrapped_step__ = True

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        outputs: Sequence[str] | None = None,
        cache: bool = True,
        image: str | None = None,
        limits: Limits | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.func = func
        self.name = name or func.__name__
        self.cache = cache
        self.image = image
        self.limits = limits or Limits()
        self.tags = _tags(self.name, tags)
        self.signature = inspect.signature(func)
        self.outputs, self.output_mode = _outputs_of(func, outputs)
        functools.update_wrapper(self, func)

    def __repr__(self) -> str:
        return f"<step {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = active_builder()
        if builder is None:
            return self.func(*args, **kwargs)
        name = builder.unique_name(self.name)
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidStepArgumentError(name, "(call)", str(exc)) from exc
        bound.apply_defaults()
        converted = {
            key: builder.convert(name, key, value) for key, value in bound.arguments.items()
        }
        builder.add(
            Node(
                name,
                "python",
                converted,
                self.outputs,
                self.output_mode,
                func=self.func,
                cache=self.cache,
                image=self.image,
                limits=self.limits,
                tags=dict(self.tags),
            )
        )
        return _placeholders(name, self.outputs, self.output_mode)


def _outputs_of(
    func: Callable[..., Any], declared: Sequence[str] | None
) -> tuple[tuple[str, ...], str]:
    if declared is not None:
        names = tuple(declared)
        if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
            raise InvalidStepArgumentError(func.__name__, "outputs", "give distinct names")
        return names, "tuple"
    try:
        annotation = typing.get_type_hints(func).get("return")
    except (NameError, TypeError):
        annotation = None
    if typing.is_typeddict(annotation):
        return tuple(typing.get_type_hints(annotation)), "dict"
    if typing.get_origin(annotation) is tuple:
        members = typing.get_args(annotation)
        if members and members[-1] is not Ellipsis:
            return tuple(f"output_{i}" for i in range(len(members))), "tuple"
    return ("output",), "single"


def _placeholders(name: str, outputs: tuple[str, ...], mode: str) -> Any:
    if mode == "single":
        return StepOutput(name, outputs[0])
    if mode == "dict":
        return StepOutputs(name, outputs)
    return tuple(StepOutput(name, output) for output in outputs)


@overload
def step(func: Callable[..., Any], /) -> Step: ...
@overload
def step(
    *,
    name: str | None = None,
    outputs: Sequence[str] | None = None,
    cache: bool = True,
    image: str | None = None,
    network: bool = False,
    cpus: float | None = None,
    memory: int | str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    tags: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Step]: ...
def step(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    outputs: Sequence[str] | None = None,
    cache: bool = True,
    image: str | None = None,
    network: bool = False,
    cpus: float | None = None,
    memory: int | str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    tags: Mapping[str, str] | None = None,
) -> Step | Callable[[Callable[..., Any]], Step]:
    """Declare a pipeline step, with or without arguments. ``image`` is the
    container image a container backend runs it in (a tag is pinned to its
    digest when a run is planned); ``network``, ``cpus``, ``memory`` (bytes,
    or "512m", "2g") and ``timeout`` (seconds) are its container's limits;
    ``retries`` the attempts after a failed one on Argo (its retryStrategy);
    ``tags`` label its records (``repro runs list --tag``)."""

    def wrap(function: Callable[..., Any]) -> Step:
        step_name = name or function.__name__
        limits = step_limits(step_name, network, cpus, memory, timeout, retries)
        return Step(
            function,
            name=name,
            outputs=outputs,
            cache=cache,
            image=image,
            limits=limits,
            tags=tags,
        )

    return wrap(func) if func is not None else wrap


def sh(
    command: str,
    *,
    deps: Sequence[str | Dataset | StepOutput] = (),
    outs: Sequence[str] = (),
    name: str | None = None,
    params: dict[str, Any] | None = None,
    cache: bool = True,
    image: str | None = None,
    network: bool = False,
    cpus: float | None = None,
    memory: int | str | None = None,
    timeout: float | None = None,
    retries: int = 0,
) -> tuple[StepOutput, ...]:
    """A shell step: ``command`` runs in the project root; ``deps`` (files,
    folders, datasets or other steps' outputs) are its inputs, ``outs`` the
    files or folders it writes, snapshotted like any artifact. ``params``
    fill ``{name}`` fields of the command (write literal braces as ``{{``
    and ``}}`` then; without params the command is taken as it is) and
    count as its parameters. ``image`` and the limits are as for ``@step``."""
    builder = active_builder()
    if builder is None:
        raise NotInPipelineError("repro.sh")
    if not isinstance(command, str) or not command.strip():
        raise InvalidStepArgumentError(name or "sh", "command", "give a command to run")
    step_name = builder.unique_name(name or command.split()[0].rsplit("/", 1)[-1])
    args: dict[str, Arg] = {}
    for index, dep in enumerate(deps):
        args[f"dep_{index}"] = _dep_arg(builder, step_name, index, dep)
    for key, value in (params or {}).items():
        converted = builder.convert(step_name, key, value)
        if not isinstance(converted, Literal):
            raise InvalidStepArgumentError(step_name, key, "shell parameters must be JSON values")
        args[key] = converted
    try:
        rendered = command.format(**params) if params else command
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidStepArgumentError(step_name, "command", f"no parameter {exc}") from exc
    clean_outs = tuple(_relative(step_name, out) for out in outs)
    builder.add(
        Node(
            step_name,
            "shell",
            args,
            clean_outs,
            "files",
            command=rendered,
            outs=clean_outs,
            cache=cache,
            template=command,
            image=image,
            limits=step_limits(step_name, network, cpus, memory, timeout, retries),
        )
    )
    return tuple(StepOutput(step_name, out) for out in clean_outs)


def _dep_arg(builder: Any, step_name: str, index: int, dep: object) -> Arg:
    if isinstance(dep, str):
        path = _relative(step_name, dep)
        produced = builder.producer_of(path)
        if produced is not None:
            return OutputRef(*produced)
        dep = Dataset(path)
    arg: Arg = builder.convert(step_name, f"deps[{index}]", dep)
    if isinstance(arg, Literal):
        raise InvalidStepArgumentError(
            step_name, f"deps[{index}]", "give a path, Dataset or output"
        )
    return arg


_PROTECTED = frozenset({".", "", ".git", ".repro"})


def _relative(step_name: str, path: str) -> str:
    """A project-relative path; never the project itself nor anything in
    .git or .repro (shell outs are deleted before their step runs)."""
    parts = [part for part in path.strip().split("/") if part not in ("", ".")]
    clean = "/".join(parts)
    if path.strip().startswith("/") or ".." in parts:
        raise InvalidStepArgumentError(
            step_name, path, "paths must be relative, inside the project"
        )
    if not parts or parts[0] in _PROTECTED:
        raise InvalidStepArgumentError(
            step_name, path, "not the project folder itself, nor anything in .git or .repro"
        )
    return clean


_MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def _tags(step_name: str, tags: Mapping[str, str] | None) -> dict[str, str]:
    found = dict(tags or {})
    if not all(isinstance(k, str) and k and isinstance(v, str) for k, v in found.items()):
        raise InvalidStepArgumentError(step_name, "tags", "give a mapping of text to text")
    return found


def step_limits(
    step_name: str,
    network: bool,
    cpus: float | None,
    memory: int | str | None,
    timeout: float | None,
    retries: int = 0,
) -> Limits:
    for label, value in (("cpus", cpus), ("timeout", timeout)):
        if value is not None and (isinstance(value, bool) or not value > 0):
            raise InvalidStepArgumentError(step_name, label, "give a positive number")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InvalidStepArgumentError(step_name, "retries", "give a whole number, 0 or more")
    return Limits(
        network=bool(network),
        cpus=float(cpus) if cpus is not None else None,
        memory=_memory_bytes(step_name, memory),
        timeout=float(timeout) if timeout is not None else None,
        retries=retries,
    )


def _memory_bytes(step_name: str, memory: int | str | None) -> int | None:
    """Bytes from an int or a Docker-style size ("512m", "2g", "1.5GiB")."""
    import re

    if memory is None:
        return None
    if isinstance(memory, int) and not isinstance(memory, bool) and memory > 0:
        return memory
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*", str(memory).lower())
    if not match or float(match.group(1)) <= 0:
        raise InvalidStepArgumentError(
            step_name, "memory", f"{memory!r} is not a size (bytes, or like '512m', '2g')"
        )
    return int(float(match.group(1)) * _MEMORY_UNITS[match.group(2)])
