"""Importing the project's own Python files: the pipeline definitions and
the modules steps live in. The project root goes first on ``sys.path`` so
that step functions get stable module names (``pipeline``,
``pkg.helpers``), the same on every machine and in every replay worktree."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from contextvars import ContextVar
from types import FrameType, ModuleType

from repro.errors import ReproError, UsageError

__all__ = [
    "CalledAtImportError",
    "ObjectNotFoundInModuleError",
    "UserCodeImportError",
    "find_object",
    "forget_project_modules",
    "import_user_module",
    "module_name_for",
    "project_module_files",
    "refuse_while_importing",
]

_REPRO = os.path.dirname(os.path.abspath(__file__))
# The project root whose code repro is importing now, in this thread.
_importing: ContextVar[str | None] = ContextVar("repro_importing", default=None)


class UserCodeImportError(ReproError, ImportError):
    def __init__(self, module: str, error: BaseException, root: str = "") -> None:
        self.module = module
        self.error = error
        where = _user_frame(error, root)
        super().__init__(f"importing {module} failed: {type(error).__name__}: {error}{where}")


class CalledAtImportError(ReproError):
    """A project module, as repro imported it, did what only repro does
    (exit 1, as any other failed import of the user's code)."""

    def __init__(self, what: str, file: str, line: int) -> None:
        self.what, self.file, self.line = what, file, line
        super().__init__(
            f"{file}, line {line} calls {what} at import time: under `repro run` that call "
            'must go (or go under `if __name__ == "__main__":`)'
        )


class ObjectNotFoundInModuleError(UsageError, LookupError):
    def __init__(self, module: str, name: str, what: str) -> None:
        self.module = module
        self.name = name
        super().__init__(f"{module} has no {what} {name!r}")


def _user_frame(error: BaseException, root: str) -> str:
    """Where in the user's code ``error`` was raised: the last line of the
    project's own files, else the last outside repro and importlib."""
    if isinstance(error, SyntaxError):
        return ""  # its message already names the file and line
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if "importlib" not in f.filename and not _inside(f.filename, _REPRO)
    ]
    ours = [f for f in frames if root and _inside(f.filename, root)]
    if not (ours or frames):
        return ""
    last = (ours or frames)[-1]
    return f" ({os.path.basename(last.filename)}, line {last.lineno})"


def refuse_while_importing(what: str) -> None:
    """Raise ``CalledAtImportError`` when repro is importing the project's
    code now and that code does ``what`` (calls a pipeline): named by the
    user's line that did it, not by repro's."""
    root = _importing.get()
    if root is None:
        return
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _inside(frame.f_code.co_filename, _REPRO):
        frame = frame.f_back
    if frame is None:
        return
    file = os.path.abspath(frame.f_code.co_filename)
    shown = os.path.relpath(file, root) if _inside(file, root) else os.path.basename(file)
    raise CalledAtImportError(what, shown.replace(os.sep, "/"), frame.f_lineno)


def module_name_for(root: str, file: str) -> str:
    relative = os.path.relpath(os.path.abspath(file), root)
    if relative.startswith(".."):
        raise UsageError(f"{file} is outside the project {root}")
    stem = relative[:-3] if relative.endswith(".py") else relative
    parts = stem.split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    if not all(part.isidentifier() for part in parts):
        raise UsageError(f"{relative} cannot be imported: rename it to a valid module name")
    return ".".join(parts)


def _inside(path: str | None, root: str) -> bool:
    return bool(path) and os.path.abspath(str(path)).startswith(root + os.sep)


def _forget_other_roots(root: str, name: str) -> None:
    """A replay imports the same module names from a worktree: drop any
    module of that name (or its package) loaded from elsewhere."""
    top = name.split(".")[0]
    for loaded in list(sys.modules):
        if loaded == top or loaded.startswith(top + "."):
            file = getattr(sys.modules[loaded], "__file__", None)
            if file and not _inside(file, root) and not _is_installed(file):
                del sys.modules[loaded]


def forget_project_modules(root: str, *, unlist: bool = False) -> None:
    """Drop every module loaded from ``root``, so that a second run in the
    same process (a notebook, a test) sees the files as they are now;
    ``unlist`` also takes ``root`` off ``sys.path`` (a worktree going away)."""
    root = os.path.abspath(root)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and _inside(file, root) and not _is_installed(file):
            del sys.modules[name]
    if unlist:
        sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != root]


def project_module_files(root: str) -> list[str]:
    """The files of every module loaded from ``root`` (the project's own
    code, as imported so far), relative to it."""
    root = os.path.abspath(root)
    files = {
        os.path.relpath(os.path.abspath(file), root)
        for module in list(sys.modules.values())
        if (file := getattr(module, "__file__", None))
        and _inside(file, root)
        and not _is_installed(file)
    }
    return sorted(path.replace(os.sep, "/") for path in files)


def _is_installed(file: str) -> bool:
    return "site-packages" in file or "dist-packages" in file or file.startswith(sys.prefix)


def import_user_module(root: str, name: str) -> ModuleType:
    root = os.path.abspath(root)
    if not sys.path or sys.path[0] != root:
        if root in sys.path:
            sys.path.remove(root)
        sys.path.insert(0, root)
    _forget_other_roots(root, name)
    importlib.invalidate_caches()
    importing = _importing.set(root)
    try:
        return importlib.import_module(name)
    except CalledAtImportError:
        raise  # names the user's line already
    except Exception as exc:
        raise UserCodeImportError(name.replace(".", "/") + ".py", exc, root) from exc
    finally:
        _importing.reset(importing)


def find_object(module: ModuleType, qualname: str, what: str) -> object:
    value: object = module
    shown = os.path.basename(module.__file__) if module.__file__ else module.__name__
    for part in qualname.split("."):
        if not hasattr(value, part):
            raise ObjectNotFoundInModuleError(shown, qualname, what)
        value = getattr(value, part)
    return value
