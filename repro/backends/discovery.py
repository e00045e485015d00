"""From the files a step touched while it ran to its discovered inputs and
undeclared writes.

The rules (README, "What repro watches"):

- only files inside the project count; ``.git/``, ``.repro/``,
  ``__pycache__/`` and virtualenvs never do (repro.pipelines.reads);
- what is declared is covered already: the outs of every shell step of
  the run (their steps keep them: a dependency on one is declared with
  ``deps``), and the datasets the step takes (a folder covers everything
  under it);
- a file the step wrote is its own doing, not an input, even if it read
  it back;
- a read is kept with the content id the file has once the step ends
  (None: it looked for the file and there was none; it may appear);
- a write is reported when the file is still there once the step ends (a
  temporary file renamed onto a declared out is not).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from repro.backends.spec import RunSpec, StepSpec

__all__ = ["Discovered", "discover"]


@dataclass(frozen=True)
class Discovered:
    inputs: dict[str, str | None]
    writes: list[str]


def discover(
    root: str, run: RunSpec, step: StepSpec, read: Iterable[str], written: Iterable[str]
) -> Discovered:
    """``read`` and ``written`` are project-relative POSIX paths."""
    from repro.runner.fastpath import file_id

    declared = _declared(run, step)
    made = set(written)
    inputs: dict[str, str | None] = {}
    for path in sorted(set(read) - made):
        absolute = os.path.join(root, path)
        if _covered(path, declared) or os.path.isdir(absolute):
            continue
        inputs[path] = file_id(absolute, run.algorithm)
    writes = sorted(
        path
        for path in made
        if not _covered(path, declared) and os.path.lexists(os.path.join(root, path))
    )
    return Discovered(inputs, writes)


def _declared(run: RunSpec, step: StepSpec) -> list[str]:
    paths = [out for each in run.steps.values() if each.kind == "shell" for out in each.outputs]
    for arg in step.args.values():
        if "dataset" in arg and arg["dataset"] in run.datasets:
            paths.append(run.datasets[arg["dataset"]]["path"])
    return [os.path.normpath(path).replace(os.sep, "/") for path in paths]


def _covered(path: str, declared: list[str]) -> bool:
    return any(path == place or path.startswith(place.rstrip("/") + "/") for place in declared)
