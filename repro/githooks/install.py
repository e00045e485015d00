"""``repro install-hooks``: the Git hooks of ``repro.githooks.scripts`` in
the folder Git runs hooks from (``core.hooksPath`` respected), chained with
the hooks already there, and the ``repro.lock`` merge driver registered
(``.gitattributes`` beside the lock, the driver in the repository's config).

Installing twice changes nothing; ``uninstall_hooks`` puts back what was
there before."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import Final

from repro.errors import ReproError
from repro.git.command import Workdir
from repro.githooks.gitrepo import (
    config_set,
    config_unset,
    config_unset_section,
    hooks_dir,
    workdir,
)
from repro.githooks.scripts import CHAINED_SUFFIX, HOOK_NAMES, hook_script, is_repro_hook
from repro.project import Project

__all__ = [
    "ATTRIBUTES_LINE",
    "DRIVER_COMMAND",
    "ChainOccupiedError",
    "InstallReport",
    "install_hooks",
    "uninstall_hooks",
]

ATTRIBUTES_LINE: Final = "repro.lock merge=repro-lock"
DRIVER_COMMAND: Final = "repro lock merge %O %A %B"
_DRIVER: Final = "merge.repro-lock"
_DRIVER_NAME: Final = "repro.lock: a 3-way merge per pipeline (repro lock merge)"
# Set when the project is below the work tree's top, where Git runs hooks.
PROJECT_KEY: Final = "repro.project"


class ChainOccupiedError(ReproError, FileExistsError):
    def __init__(self, hook: str, chained: str) -> None:
        self.hook = hook
        self.chained = chained
        super().__init__(
            f"{hook} is not repro's and {chained} already exists, so the hook cannot be "
            f"chained; merge one into the other (or move {chained} away), then run "
            "'repro install-hooks' again"
        )


@dataclass
class InstallReport:
    hooks_dir: str
    hooks: list[str] = field(default_factory=list)  # hooks written (install) or removed
    chained: list[str] = field(default_factory=list)  # existing hooks kept as NAME.pre-repro
    restored: list[str] = field(default_factory=list)  # uninstall: hooks put back
    foreign: list[str] = field(default_factory=list)  # uninstall: not repro's, left alone
    attributes: str | None = None  # the .gitattributes changed, if it was
    driver: bool = False  # the merge driver's config changed

    @property
    def changed(self) -> bool:
        return bool(self.hooks or self.chained or self.restored or self.attributes or self.driver)


def install_hooks(project: Project) -> InstallReport:
    tree = workdir(project.root)
    report = InstallReport(hooks_dir(tree))
    for name in HOOK_NAMES:
        _install_one(report, name)
    report.attributes = _add_attribute(project.root)
    report.driver = _register_driver(tree, project)
    return report


def uninstall_hooks(project: Project) -> InstallReport:
    tree = workdir(project.root)
    report = InstallReport(hooks_dir(tree))
    for name in HOOK_NAMES:
        _uninstall_one(report, name)
    report.attributes = _remove_attribute(project.root)
    driver = config_unset_section(tree, _DRIVER, "driver")
    report.driver = config_unset(tree, PROJECT_KEY) or driver
    return report


# hooks


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except FileNotFoundError:
        return None


def _install_one(report: InstallReport, name: str) -> None:
    path = os.path.join(report.hooks_dir, name)
    chained = path + CHAINED_SUFFIX
    wanted = hook_script(name)
    current = _read(path) if not os.path.isdir(path) else None
    if current == wanted and os.access(path, os.X_OK):
        return
    if os.path.lexists(path) and not (current is not None and is_repro_hook(current)):
        if os.path.lexists(chained):
            raise ChainOccupiedError(path, chained)
        os.replace(path, chained)
        report.chained.append(name)
    _write_executable(path, wanted)
    report.hooks.append(name)


def _write_executable(path: str, text: str) -> None:
    """Atomically, and executable from the moment it appears."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{secrets.token_hex(8)}")
    try:
        with open(tmp, "x", encoding="utf-8") as file:
            file.write(text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _uninstall_one(report: InstallReport, name: str) -> None:
    path = os.path.join(report.hooks_dir, name)
    chained = path + CHAINED_SUFFIX
    current = _read(path) if os.path.isfile(path) else None
    if current is not None and is_repro_hook(current):
        os.unlink(path)
        report.hooks.append(name)
    elif os.path.lexists(path):
        report.foreign.append(name)
        return
    if os.path.lexists(chained):
        os.replace(chained, path)
        report.restored.append(name)


# the merge driver


def _attributes_path(root: str) -> str:
    return os.path.join(root, ".gitattributes")


def _add_attribute(root: str) -> str | None:
    path = _attributes_path(root)
    text = _read(path) or ""
    if ATTRIBUTES_LINE in (line.strip() for line in text.splitlines()):
        return None
    separator = "" if not text or text.endswith("\n") else "\n"
    from repro.atomic import write_atomic

    write_atomic(path, f"{text}{separator}{ATTRIBUTES_LINE}\n".encode())
    return path


def _remove_attribute(root: str) -> str | None:
    path = _attributes_path(root)
    text = _read(path)
    if text is None:
        return None
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if line.strip() != ATTRIBUTES_LINE]
    if len(kept) == len(lines):
        return None
    if kept:
        from repro.atomic import write_atomic

        write_atomic(path, "".join(kept).encode())
    else:
        os.unlink(path)
    return path


def _register_driver(tree: Workdir, project: Project) -> bool:
    changed = config_set(tree, f"{_DRIVER}.name", _DRIVER_NAME)
    changed = config_set(tree, f"{_DRIVER}.driver", DRIVER_COMMAND) or changed
    relative = os.path.relpath(os.path.realpath(project.root), os.path.realpath(tree.root))
    if relative != ".":
        changed = config_set(tree, PROJECT_KEY, relative) or changed
    return changed
