"""The DAG a pipeline definition builds: calling a step while a pipeline is
being defined adds a node and returns placeholders for its outputs, so
nothing runs at definition time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from typing import Literal as Kind

from repro.errors import UsageError
from repro.hashing import canonical_dumps
from repro.pipelines.data import Dataset
from repro.safepaths import UnsafePathError, check_name, check_relative

__all__ = [
    "DatasetRef",
    "Graph",
    "GraphBuilder",
    "InvalidStepArgumentError",
    "Limits",
    "Literal",
    "Node",
    "NotInPipelineError",
    "OutputRef",
    "PlaceholderMisuseError",
    "StepOutput",
    "StepOutputs",
    "UnknownOutputError",
    "active_builder",
    "building",
]


class InvalidStepArgumentError(UsageError, TypeError):
    def __init__(self, step: str, argument: str, reason: str) -> None:
        self.step = step
        self.argument = argument
        super().__init__(f"step {step!r}, argument {argument!r}: {reason}")


class PlaceholderMisuseError(UsageError, TypeError):
    """A step's output used as a value while the pipeline is defined."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class UnknownOutputError(UsageError, KeyError):
    def __init__(self, step: str, name: str, names: tuple[str, ...]) -> None:
        self.step = step
        self.name = name
        super().__init__(f"step {step!r} has no output {name!r} (it has {', '.join(names)})")

    def __str__(self) -> str:
        return str(self.args[0])


class NotInPipelineError(UsageError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} can only be called inside a @pipeline function")


@dataclass(frozen=True)
class OutputRef:
    step: str
    output: str


@dataclass(frozen=True)
class DatasetRef:
    uri: str


@dataclass(frozen=True)
class Literal:
    value: Any


Arg = OutputRef | DatasetRef | Literal


@dataclass(frozen=True)
class StepOutput:
    """Placeholder for one output of a step called at definition time."""

    step: str
    output: str

    def __iter__(self) -> Iterator[Any]:
        raise PlaceholderMisuseError(
            f"step {self.step!r} has one output; declare several with "
            "@step(outputs=(...)) or a tuple return annotation to unpack it"
        )

    def __bool__(self) -> bool:
        raise PlaceholderMisuseError(
            f"the output of step {self.step!r} is not known while the pipeline is "
            "defined; run steps on it with `with repro.when(output):`, or branch inside a step"
        )


@dataclass(frozen=True)
class StepOutputs(Mapping[str, StepOutput]):
    """Placeholders of a step with named outputs (a TypedDict return)."""

    step: str
    names: tuple[str, ...]

    def __getitem__(self, name: str) -> StepOutput:
        if name not in self.names:
            raise UnknownOutputError(self.step, name, self.names)
        return StepOutput(self.step, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class Limits:
    """How a container backend runs a step. None of it changes what the step
    computes, so none of it is in the cache key."""

    network: bool = False  # containers get no network unless a step asks
    cpus: float | None = None
    memory: int | None = None  # bytes
    timeout: float | None = None  # seconds
    retries: int = 0  # attempts after a failed one, where the backend retries (argo)


@dataclass
class Node:
    name: str
    kind: Kind["python", "shell"]
    args: dict[str, Arg]
    outputs: tuple[str, ...]
    output_mode: str  # "single", "tuple", "dict" or "files"
    func: Callable[..., Any] | None = None
    command: str | None = None
    template: str | None = None  # a shell command before its parameters are filled in
    outs: tuple[str, ...] = ()
    cache: bool = True
    image: str | None = None
    limits: Limits = field(default_factory=Limits)
    tags: dict[str, str] = field(default_factory=dict)  # declared with @step(tags=)
    # Outputs that must all be true for the step to run (repro.when).
    conditions: tuple[OutputRef, ...] = ()

    @property
    def upstream(self) -> list[str]:
        steps = {arg.step for arg in self.args.values() if isinstance(arg, OutputRef)}
        return sorted(steps | {condition.step for condition in self.conditions})


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)

    def downstream(self, name: str) -> list[str]:
        return [n.name for n in self.nodes.values() if name in n.upstream]


class GraphBuilder:
    def __init__(self) -> None:
        self.graph = Graph()
        self._shell_outs: dict[str, str] = {}  # path -> producing step
        self.conditions: list[OutputRef] = []  # of the `with repro.when(...)` blocks open

    def unique_name(self, base: str) -> str:
        name, count = base, 1
        while name in self.graph.nodes:
            count += 1
            name = f"{base}_{count}"
        return name

    def convert(self, step: str, argument: str, value: object) -> Arg:
        if isinstance(value, StepOutput):
            return OutputRef(value.step, value.output)
        if isinstance(value, StepOutputs):
            raise InvalidStepArgumentError(step, argument, "pass one output: outputs['name']")
        if isinstance(value, Dataset):
            produced = None if value.is_remote else self.producer_of(value.uri)
            if produced is not None:
                # Written by an earlier shell step of this pipeline: its output,
                # not a snapshot taken before the step ran.
                return OutputRef(*produced)
            self.graph.datasets.setdefault(value.uri, value)
            return DatasetRef(value.uri)
        try:
            canonical_dumps(value)
        except (TypeError, ValueError) as exc:
            raise InvalidStepArgumentError(
                step,
                argument,
                f"a {type(value).__name__} is neither a step output, a "
                "Dataset nor a JSON value (parameters must be JSON)",
            ) from exc
        return Literal(value)

    def add(self, node: Node) -> None:
        # A name becomes a folder of a checkout and a line of output: the
        # rule records are read by (repro.safepaths) holds when they are made.
        try:
            check_name(node.name, "step name")
            for output in node.outputs:
                check_relative(output, "output")
        except UnsafePathError as exc:
            raise InvalidStepArgumentError(node.name, "name", exc.reason) from None
        node.conditions = (*node.conditions, *self.conditions)
        self.graph.nodes[node.name] = node
        for out in node.outs:
            self._shell_outs[out.rstrip("/")] = node.name

    def producer_of(self, path: str) -> tuple[str, str] | None:
        """The shell step (and its out) that writes ``path`` or a folder holding it."""
        clean = path.rstrip("/")
        for out, step in self._shell_outs.items():
            if clean == out or clean.startswith(out + "/"):
                return step, out
        return None


_builder: ContextVar[GraphBuilder | None] = ContextVar("repro_graph", default=None)


def active_builder() -> GraphBuilder | None:
    return _builder.get()


@contextmanager
def building() -> Iterator[GraphBuilder]:
    builder = GraphBuilder()
    token = _builder.set(builder)
    try:
        yield builder
    finally:
        _builder.reset(token)
