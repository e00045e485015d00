"""The project's Python interpreter, which judges its lineage.

pre-commit runs a ``language: python`` hook in a virtual environment of its
own, holding repro and its dependencies but not the project's: the
pipelines could not even be imported there, and the environment part of a
fingerprint (the Python version, the versions of the distributions steps
import) would be the hook's. So the lineage is judged by the project's
interpreter, the first of:

1. ``--python`` (given by the user);
2. ``.venv/bin/python`` in the project, else at the root of its Git work tree;
3. ``$VIRTUAL_ENV/bin/python``, unless that is the hook's environment
   (pre-commit sets ``VIRTUAL_ENV`` to it);
4. ``python3`` on ``PATH``, leaving out the hook environment's folders.

When that is the interpreter running, it judges in process; otherwise it
runs ``PYTHON -m repro check lineage --json PROJECT`` and reads its verdict
(the child judges where it runs, whatever it finds: ``REPRO_GATE_CHILD``).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass

from repro.project import Project, git_root

__all__ = [
    "CHILD_ENV",
    "Interpreter",
    "hook_environment",
    "project_python",
]

CHILD_ENV = "REPRO_GATE_CHILD"


@dataclass(frozen=True)
class Interpreter:
    python: str
    how: str  # how it was found, for messages

    @property
    def prefix(self) -> str:
        """The environment the interpreter belongs to (``PREFIX/bin/python``)."""
        return os.path.dirname(os.path.dirname(os.path.abspath(self.python)))

    @property
    def is_running(self) -> bool:
        """True when it is the interpreter running this code."""
        if os.environ.get(CHILD_ENV) == "1":
            return True
        if os.path.abspath(self.python) == os.path.abspath(sys.executable):
            return True
        return _same(self.prefix, sys.prefix)


def hook_environment() -> str | None:
    """The environment pre-commit made for a ``language: python`` hook, when
    this runs in one: pre-commit names it ``py_env-VERSION`` (for a hook
    repository and for local hooks alike) and sets ``PRE_COMMIT=1``."""
    prefix = sys.prefix
    if os.environ.get("PRE_COMMIT") != "1" or not os.path.basename(prefix).startswith("py_env-"):
        return None
    return prefix


def project_python(project: Project, given: str | None = None) -> Interpreter | None:
    """The project's interpreter (see the module's docstring), or None."""
    if given:
        return Interpreter(given, "--python")
    hook = hook_environment()
    for root in dict.fromkeys([project.root, git_root(project.root) or project.root]):
        venv = os.path.join(root, ".venv", "bin", "python")
        if os.path.isfile(venv):
            return Interpreter(venv, ".venv")
    active = os.environ.get("VIRTUAL_ENV")
    if active and not (hook and _same(active, hook)):
        python = os.path.join(active, "bin", "python")
        if os.path.isfile(python):
            return Interpreter(python, "$VIRTUAL_ENV")
    found = shutil.which("python3", path=_search_path(hook))
    return Interpreter(found, "python3 on PATH") if found else None


def _search_path(hook: str | None) -> str:
    folders = os.environ.get("PATH", os.defpath).split(os.pathsep)
    if hook is not None:
        folders = [f for f in folders if f and not _within(f, hook)]
    return os.pathsep.join(folders)


def child_environ(interpreter: Interpreter) -> dict[str, str]:
    """The environment of the child judge: its own virtual environment
    active (not the hook's), and told to judge where it runs."""
    environ = {**os.environ, CHILD_ENV: "1"}
    hook = hook_environment()
    if hook is not None:
        environ["PATH"] = _search_path(hook)
    if os.path.isfile(os.path.join(interpreter.prefix, "pyvenv.cfg")):
        environ["VIRTUAL_ENV"] = interpreter.prefix
    else:
        environ.pop("VIRTUAL_ENV", None)
    return environ


def _same(first: str, second: str) -> bool:
    return os.path.realpath(first) == os.path.realpath(second)


def _within(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
