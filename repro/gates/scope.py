"""Which repro projects a gate judges: those holding the paths it is given,
or the one holding the current folder; and how its findings name files and
commands, relative to the folder the gate runs in (the Git work tree's root
under pre-commit)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from repro.project import NotAProjectError, Project, find_project

__all__ = ["Place", "Scope", "outside_note", "place_for", "scope_of", "shown"]


@dataclass
class Scope:
    """Each project's root with the given paths inside it (absolute); the
    paths in no project."""

    projects: dict[str, list[str]] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)


def scope_of(paths: Sequence[str], cwd: str) -> Scope:
    """The projects holding ``paths``; with none given, the one holding ``cwd``."""
    scope = Scope()
    for path in paths or [cwd]:
        full = os.path.normpath(os.path.join(cwd, path))
        try:
            root = _project_root(full)
        except NotAProjectError:
            scope.outside.append(path)
            continue
        files = scope.projects.setdefault(root, [])
        if paths:
            files.append(full)
    return scope


def _project_root(path: str) -> str:
    start = path if os.path.isdir(path) else os.path.dirname(path)
    return find_project(start).root


def outside_note(cwd: str, paths: Sequence[str]) -> str:
    """Why a gate passes outside a repro project: it has nothing to judge
    (a repository may use the hooks before it adopts repro)."""
    where = ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "") if paths else cwd
    return f"{where}: not in a repro project, nothing to check (`repro init` adopts repro)"


def shown(path: str, cwd: str) -> str:
    """``path`` as a finding names it: relative to ``cwd``."""
    return os.path.relpath(path, cwd)


@dataclass(frozen=True)
class Place:
    """Where a fix command runs so that repro finds the project: the
    current folder when it is inside the project, else the project's root
    after a ``cd``."""

    folder: str
    prefix: str = ""

    def command(self, text: str) -> str:
        return self.prefix + text

    def path(self, path: str) -> str:
        """``path`` as the command names it, quoted for the shell."""
        return shlex.quote(os.path.relpath(path, self.folder))


def place_for(project: Project, cwd: str) -> Place:
    if _inside(cwd, project.root):
        return Place(cwd)
    return Place(project.root, f"cd {shlex.quote(shown(project.root, cwd))} && ")


def _inside(path: str, root: str) -> bool:
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
