"""Which pipeline a command means: ``FILE.py:NAME``, ``FILE.py`` (its only
pipeline), a name configured under ``[tool.repro.pipelines]`` in the
project's pyproject.toml, or, with no target, every configured one."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from repro.errors import UsageError
from repro.pyproject import tool_repro_table

if TYPE_CHECKING:
    from repro.pipelines.graph import Graph
    from repro.reads import Reads

__all__ = [
    "Loaded",
    "NoPipelineConfiguredError",
    "Target",
    "UnknownTargetError",
    "configured_pipelines",
    "load_graph",
    "load_pipeline",
    "resolve_targets",
]


class UnknownTargetError(UsageError, LookupError):
    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        super().__init__(f"unknown pipeline {target!r}: {reason}")


class NoPipelineConfiguredError(UsageError):
    def __init__(self, root: str) -> None:
        super().__init__(
            "no pipeline named and none configured: run `repro run FILE.py:PIPELINE`, or add "
            f'[tool.repro.pipelines] name = "FILE.py:PIPELINE" to {root}/pyproject.toml'
        )


@dataclass(frozen=True)
class Target:
    file: str  # relative to the project root, POSIX separators
    attr: str | None  # None: the file's only pipeline

    @property
    def text(self) -> str:
        return f"{self.file}:{self.attr}" if self.attr else self.file


def configured_pipelines(root: str) -> dict[str, str]:
    path = os.path.join(root, "pyproject.toml")
    pipelines = tool_repro_table(root).get("pipelines", {})
    if not isinstance(pipelines, dict) or not all(isinstance(v, str) for v in pipelines.values()):
        raise UsageError(f'{path}: [tool.repro.pipelines] maps names to "FILE.py:PIPELINE"')
    return dict(pipelines)


def _parse(root: str, text: str) -> Target:
    file, _, attr = text.partition(":")
    file = file.replace(os.sep, "/").removeprefix("./")
    if not file.endswith(".py"):
        raise UnknownTargetError(text, "expected FILE.py:PIPELINE or a configured name")
    if not os.path.isfile(os.path.join(root, file)):
        raise UnknownTargetError(text, f"{file} does not exist in {root}")
    return Target(file, attr or None)


def resolve_targets(root: str, target: str | None) -> list[Target]:
    configured = configured_pipelines(root)
    if target is None:
        if not configured:
            raise NoPipelineConfiguredError(root)
        return [_parse(root, text) for _, text in sorted(configured.items())]
    if target in configured:
        return [_parse(root, configured[target])]
    if target.endswith(".py") or ":" in target:
        return [_parse(root, target)]
    names = ", ".join(sorted(configured)) or "none configured"
    raise UnknownTargetError(target, f"not FILE.py:PIPELINE nor a configured name ({names})")


def load_pipeline(root: str, target: Target, also_forget: str | None = None) -> Any:
    """Import ``target`` from ``root`` afresh. ``also_forget`` is another
    tree whose modules must not be reused (the project, when a replay
    imports the same module names from a worktree)."""
    from repro.usercode import (
        find_object,
        forget_project_modules,
        import_user_module,
        module_name_for,
    )

    forget_project_modules(root)
    if also_forget is not None:
        forget_project_modules(also_forget)
    module = import_user_module(root, module_name_for(root, os.path.join(root, target.file)))
    if target.attr is not None:
        found = find_object(module, target.attr, "pipeline")
        if not getattr(found, "__wrapped_pipeline__", False):
            raise UnknownTargetError(target.text, f"{target.attr} is not a @pipeline")
        return found
    pipelines = [v for v in vars(module).values() if getattr(v, "__wrapped_pipeline__", False)]
    if len(pipelines) != 1:
        raise UnknownTargetError(
            target.text, f"it defines {len(pipelines)} pipelines; name one as FILE.py:NAME"
        )
    return pipelines[0]


@dataclass(frozen=True)
class Loaded:
    """A pipeline imported and its DAG built, with the files read meanwhile."""

    pipeline: Any
    params: dict[str, Any]
    graph: Graph
    reads: Reads


def load_graph(
    root: str, target: Target, overrides: Mapping[str, Any], also_forget: str | None = None
) -> Loaded:
    """Import ``target`` from ``root`` and build its DAG with ``overrides``,
    in ``root`` as the current folder (a relative path the module opens is
    the tree's, never the folder the command was started in: a replay sees
    its own worktree), recording every file read meanwhile."""
    from repro.reads import recording_reads

    with _inside(root), recording_reads(root) as reads:
        pipeline = load_pipeline(root, target, also_forget)
        params = pipeline.resolve_params(overrides)
        graph = pipeline.build(params)
    return Loaded(pipeline, params, graph, reads)


@contextmanager
def _inside(folder: str) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
