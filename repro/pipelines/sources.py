"""Project source files, read and parsed once per process.

Fingerprinting the steps of a pipeline meets the same files again and
again: steps share modules and helpers, and one function is looked up in
the file of its module. Reading, parsing and indexing a file is most of
that cost, so each file is kept here, keyed by path, with its bytes, its
docstring-free AST, indexes of it (defs by first line, module-level
bindings, the names and imports a node references) and digests of its
nodes. A file is read again only when its stat changed or changed too
recently to be trusted, and parsed again only when its bytes changed.

The walk in ``repro.pipelines.fingerprint`` decides what a step reaches;
this module only answers questions about one file at a time.
"""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from repro.errors import ReproError
from repro.hashing import Algorithm

__all__ = ["Import", "Parsed", "Refs", "SourceUnavailableError", "find_qualname", "load"]

# A file whose inode changed less than this long before we read it may change
# again without its stat changing (coarse timestamps): check its bytes.
_RACY_NS = 2_000_000_000
_DEF_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SCOPES = (ast.Module, *_DEF_TYPES)


# Defined here, where files are read, so that fingerprint (which re-exports it)
# can import this module without an import cycle.
class SourceUnavailableError(ReproError, ValueError):
    def __init__(self, name: str, reason: str, hint: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"cannot fingerprint {name!r}: {reason}; {hint}")


@dataclass(frozen=True)
class Import:
    level: int
    module: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Refs:
    names: frozenset[str]
    chains: frozenset[tuple[str, ...]]  # attribute chains a.b.c rooted at a Name
    imports: tuple[Import, ...]


class Parsed:
    """One source file: its bytes, its docstring-free AST and indexes of it."""

    def __init__(self, data: bytes, tree: ast.Module | None, stat_key: tuple[int, ...]) -> None:
        self.data = data
        self.tree = tree or ast.Module(body=[], type_ignores=[])
        self.source = tree is not None  # False: a compiled module, its bytes stand for it
        self.stat_key = stat_key
        self.checked_ns = time.time_ns()
        self.defs = _index_defs(self.tree)
        self._oids: dict[tuple[object, ...], str] = {}
        self._refs: dict[int, Refs] = {}
        self._bindings: dict[str, list[ast.stmt]] | None = None

    def raw_oid(self, algo: Algorithm) -> str:
        return self._cached(("raw", algo.name), lambda: algo.hexdigest(self.data))

    def module_oid(self, algo: Algorithm) -> str:
        if not self.source:
            return self.raw_oid(algo)
        return self.nodes_oid([self.tree], algo)

    def nodes_oid(self, nodes: list[ast.AST], algo: Algorithm) -> str:
        key = (algo.name, *map(id, nodes))
        return self._cached(key, lambda: algo.hexdigest("\n".join(map(_dump, nodes)).encode()))

    def _cached(self, key: tuple[object, ...], compute: Callable[[], str]) -> str:
        if key not in self._oids:
            self._oids[key] = compute()
        return self._oids[key]

    def refs(self, node: ast.AST) -> Refs:
        if id(node) not in self._refs:
            self._refs[id(node)] = _collect_refs(node)
        return self._refs[id(node)]

    def bindings(self) -> dict[str, list[ast.stmt]]:
        if self._bindings is None:
            self._bindings = _index_bindings(self.tree)
        return self._bindings


_PARSED: dict[str, Parsed] = {}


def load(path: str, shown: str) -> Parsed:
    """The parsed file at ``path``; parsed again only when its bytes changed."""
    try:
        st = os.stat(path)
        stat_key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        cached = _PARSED.get(path)
        if cached and cached.stat_key == stat_key and st.st_ctime_ns < cached.checked_ns - _RACY_NS:
            return cached
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SourceUnavailableError(shown, f"cannot read it ({exc.strerror})", _REIMPORT) from exc
    if cached and cached.data == data:
        cached.stat_key, cached.checked_ns = stat_key, time.time_ns()
        return cached
    tree = _parse(data, shown) if path.endswith(".py") else None
    _PARSED[path] = Parsed(data, tree, stat_key)
    return _PARSED[path]


_REIMPORT = "check the file and run again"


def _parse(data: bytes, shown: str) -> ast.Module:
    try:
        tree = ast.parse(data, filename=shown)
    except (SyntaxError, ValueError) as exc:
        raise SourceUnavailableError(shown, f"it does not parse ({exc})", _REIMPORT) from exc
    _strip_docstrings(tree)
    return tree


def _strip_docstrings(tree: ast.Module) -> None:
    for node in ast.walk(tree):
        if isinstance(node, _SCOPES) and node.body and _is_docstring(node.body[0]):
            node.body = node.body[1:] or [ast.Pass()]


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _dump(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False, include_attributes=False)


def _index_defs(tree: ast.Module) -> dict[tuple[int, str], list[ast.AST]]:
    """(first line, name) -> nodes, matching a code object's
    (co_firstlineno, co_name); a decorated def starts at its first decorator."""
    defs: dict[tuple[int, str], list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            defs.setdefault((first, node.name), []).append(node)
        elif isinstance(node, ast.Lambda):
            defs.setdefault((node.lineno, "<lambda>"), []).append(node)
    return defs


def _collect_refs(node: ast.AST) -> Refs:
    names: set[str] = set()
    chains: set[tuple[str, ...]] = set()
    imports: list[Import] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            chain = _chain(sub)
            if chain:
                chains.add(chain)
        elif isinstance(sub, ast.Import):
            imports.extend(Import(0, alias.name, ()) for alias in sub.names)
        elif isinstance(sub, ast.ImportFrom):
            aliases = tuple(alias.name for alias in sub.names if alias.name != "*")
            imports.append(Import(sub.level, sub.module or "", aliases))
    return Refs(frozenset(names), frozenset(chains), tuple(imports))


def _chain(node: ast.Attribute) -> tuple[str, ...] | None:
    attrs: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        attrs.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    return (current.id, *reversed(attrs))


def _scope_children(node: ast.AST) -> Iterator[ast.AST]:
    """Statements directly in ``node``'s scope, inside if/try/with/for blocks too."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
            yield child
            if not isinstance(child, _DEF_TYPES):
                yield from _scope_children(child)


def _index_bindings(tree: ast.Module) -> dict[str, list[ast.stmt]]:
    """Module-level name -> the statements that bind it."""
    bindings: dict[str, list[ast.stmt]] = {}
    for stmt in _scope_children(tree):
        for name in _bound_names(stmt):
            bindings.setdefault(name, []).append(stmt)  # type: ignore[arg-type]
    return bindings


def _bound_names(stmt: ast.AST) -> Iterator[str]:
    if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            yield from (n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    elif isinstance(stmt, ast.Import | ast.ImportFrom):
        for alias in stmt.names:
            yield alias.asname or alias.name.partition(".")[0]
    elif isinstance(stmt, _DEF_TYPES):
        yield stmt.name


def find_qualname(tree: ast.Module, qualname: str) -> list[ast.AST]:
    current: list[ast.AST] = [tree]
    for part in qualname.split("."):
        if part != "<locals>":
            current = [
                child
                for node in current
                for child in _scope_children(node)
                if isinstance(child, _DEF_TYPES) and child.name == part
            ]
    return current
