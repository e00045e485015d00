"""From the files a step touched while it ran to its discovered inputs and
undeclared writes.

The rules (README, "What repro watches"):

- only files inside the project count; ``.git/``, ``.repro/``,
  ``__pycache__/`` and virtualenvs never do (repro.reads);
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

__all__ = ["Discovered", "discover", "modules_opened"]


@dataclass(frozen=True)
class Discovered:
    inputs: dict[str, str | None]
    writes: list[str]


def discover(
    root: str, run: RunSpec, step: StepSpec, read: Iterable[str], written: Iterable[str]
) -> Discovered:
    """``read`` and ``written`` are project-relative POSIX paths."""
    from repro.reads import file_id

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


def modules_opened(paths: Iterable[str], root: str) -> list[str]:
    """The top-level modules of installed packages whose files a traced
    process opened (a shell step's ``python -c 'import numpy'``): the
    runner pins their distributions' versions, since a shell step has no
    code to fingerprint imports from. Packages on this interpreter's path
    only: another interpreter's are not known."""
    folders = _package_folders(os.path.realpath(root))
    return sorted({module for path in paths if (module := _top_module(path, folders))})


def _package_folders(root: str) -> list[str]:
    """The folders of ``sys.path`` that hold installed packages: not the
    standard library, not the project (its files are inputs as files)."""
    import sys
    import sysconfig

    stdlib = {os.path.realpath(sysconfig.get_path(name)) for name in ("stdlib", "platstdlib")}
    folders: list[str] = []
    for entry in filter(None, sys.path):
        folder = os.path.realpath(entry)
        inside = folder == root or folder.startswith(root + os.sep)
        if os.path.isdir(folder) and folder not in stdlib and not inside:
            # Both spellings: a traced path is the one the process used.
            folders += {folder, os.path.abspath(entry)}
    return folders


def _top_module(path: str, folders: list[str]) -> str | None:
    """The top-level module a file under a package folder belongs to."""
    for folder in folders:
        if path.startswith(folder + os.sep):
            top = path[len(folder) + 1 :].split(os.sep, 1)[0]
            if top.endswith((".dist-info", ".egg-info", ".pth")) or top == "__pycache__":
                return None
            return top.removesuffix(".py").partition(".")[0] or None
    return None


def _declared(run: RunSpec, step: StepSpec) -> list[str]:
    paths = [out for each in run.steps.values() if each.kind == "shell" for out in each.outputs]
    for arg in step.args.values():
        if "dataset" in arg and arg["dataset"] in run.datasets:
            paths.append(run.datasets[arg["dataset"]]["path"])
    return [os.path.normpath(path).replace(os.sep, "/") for path in paths]


def _covered(path: str, declared: list[str]) -> bool:
    return any(path == place or path.startswith(place.rstrip("/") + "/") for place in declared)
