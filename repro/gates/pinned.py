"""``repro check pinned`` (the ``repro-pinned`` hook): every image the
project names is pinned by digest, and its Python environment has a lock
file (``uv.lock``, ``pylock.toml``, ``poetry.lock``, or a requirements file
whose every requirement carries a ``--hash``).

The images are ``[tool.repro] image`` in pyproject.toml and the ``image=``
of every ``step(...)``, ``pipeline(...)`` and ``sh(...)`` call (also as
``repro.step`` …) in the project's Python files that Git tracks, read with
``ast`` rather than by importing the pipelines: importing runs the
project's code and its dependencies (a second for pandas and scikit-learn),
which the hook's own environment does not even have, while parsing takes
milliseconds and sees every file. An ``image=`` given as a string, or as a
module-level name bound to one, is checked; one computed otherwise is
named in a note, not judged.
"""

from __future__ import annotations

import ast
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from repro.gates.result import Finding, GateResult
from repro.gates.scope import shown
from repro.project import Project

__all__ = ["PINNED", "DeclaredImage", "check_pinned", "declared_images", "unhashed_requirements"]

PINNED = "pinned"
_CALLS = frozenset({"step", "pipeline", "sh"})
_SKIPPED_DIRS = frozenset({".git", ".repro", ".venv", "venv", "node_modules", "__pycache__"})


@dataclass(frozen=True)
class DeclaredImage:
    file: str  # absolute
    line: int
    call: str  # step, pipeline or sh
    image: str | None  # None: computed, not a literal


def check_pinned(project: Project, *, cwd: str | None = None) -> GateResult:
    cwd = cwd or os.getcwd()
    findings = [*_project_image(project, cwd), *_python_lock(project, cwd)]
    notes = []
    for declared in declared_images(project.root):
        where = f"{shown(declared.file, cwd)}:{declared.line}"
        if declared.image is None:
            notes.append(f"{where}: the image of {declared.call}(...) is computed; not checked")
        elif (problem := _unpinned(declared.image)) is not None:
            what = f"image {declared.image!r} of {declared.call}(...) {problem}"
            findings.append(Finding(PINNED, where, what, _resolve_fix(declared.image)))
    return GateResult(PINNED, tuple(findings), tuple(notes))


def _unpinned(image: str) -> str | None:
    """Why ``image`` is not pinned by digest, or None when it is."""
    from repro.images.reference import InvalidImageRefError, parse_image_ref

    try:
        ref = parse_image_ref(image)
    except InvalidImageRefError as exc:
        return f"is not an image reference ({exc.reason})"
    return None if ref.pinned else "is not pinned by digest"


def _resolve_fix(image: str) -> str:
    return f"write NAME@sha256:… instead; `repro image resolve {image}` prints it"


def _project_image(project: Project, cwd: str) -> list[Finding]:
    from repro.pyproject import tool_repro_table

    image = tool_repro_table(project.root).get("image")
    if not isinstance(image, str):
        return []  # none set (a wrong type is `repro image show`'s to report)
    problem = _unpinned(image)
    if problem is None:
        return []
    where = shown(os.path.join(project.root, "pyproject.toml"), cwd)
    fix = f"{_resolve_fix(image)} (or `repro image build` records a pinned build)"
    return [Finding(PINNED, where, f"[tool.repro] image {image!r} {problem}", fix)]


def _python_lock(project: Project, cwd: str) -> list[Finding]:
    from repro.pipelines.environment import find_lockfile

    lockfile = find_lockfile(project.root)
    if lockfile is None:
        where = shown(project.root, cwd)
        problem = (
            "the Python environment has no lock file (uv.lock, pylock.toml, poetry.lock, "
            "or requirements*.txt with hashes)"
        )
        fix = "make one: `uv lock`, or `uv pip compile --generate-hashes -o requirements.txt`"
        return [Finding(PINNED, where, problem, fix)]
    if not lockfile.startswith("requirements"):
        return []
    path = os.path.join(project.root, lockfile)
    unhashed = unhashed_requirements(path)
    if not unhashed:
        return []
    problem = f"{len(unhashed)} requirement(s) carry no --hash (first: {unhashed[0]})"
    fix = f"regenerate it with hashes: `uv pip compile --generate-hashes -o {lockfile}`"
    return [Finding(PINNED, shown(path, cwd), problem, fix)]


def unhashed_requirements(path: str) -> list[str]:
    """The requirements of a pip requirements file without a ``--hash``
    (options such as ``-r`` and ``--index-url`` are not requirements)."""
    with open(path, encoding="utf-8", errors="replace") as file:
        text = file.read().replace("\\\n", " ")
    found = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        editable = line.startswith(("-e ", "--editable"))
        if not line or line.startswith("#") or (line.startswith("-") and not editable):
            continue
        if "--hash=" not in line:
            found.append(line if editable else line.split()[0])
    return found


def declared_images(root: str) -> Iterator[DeclaredImage]:
    """The images named in the project's Python files (literal, or None
    where computed)."""
    for path in _python_files(root):
        try:
            with open(path, "rb") as file:
                source = file.read()
        except OSError:
            continue
        if b"image" not in source:
            continue  # most files: no parse needed
        try:
            tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError):
            continue  # a broken file is the linters' to report
        yield from _images_in(tree, path)


def _images_in(tree: ast.Module, path: str) -> Iterator[DeclaredImage]:
    constants = _module_strings(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _call_name(node.func) not in _CALLS:
            continue
        for keyword in node.keywords:
            if keyword.arg != "image":
                continue
            value = keyword.value
            if isinstance(value, ast.Constant) and value.value is None:
                continue
            image = _literal(value, constants)
            yield DeclaredImage(path, value.lineno, _call_name(node.func) or "", image)


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal(value: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.Name):
        return constants.get(value.id)
    return None


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` (and annotated) bindings."""
    found: dict[str, str] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.update({t.id: value.value for t in targets if isinstance(t, ast.Name)})
    return found


def _python_files(root: str) -> list[str]:
    """The project's Python files Git tracks (staged ones included), or
    every one under ``root`` outside Git."""
    done = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return [os.path.join(root, name) for name in done.stdout.split("\0") if name]
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if name not in _SKIPPED_DIRS]
        found += [os.path.join(folder, name) for name in names if name.endswith(".py")]
    return found
