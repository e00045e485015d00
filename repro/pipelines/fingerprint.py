"""Code fingerprint of a step: its own code and every project-local code it reaches.

A step's cache key must go stale exactly when code it depends on changes.
ZenML keys on the step's own source, so editing a helper leaves stale results;
here the step's function is followed into what it references:

- a function or class of the same module: its AST, recursively;
- a module-level value of the same module that is not a simple constant:
  the statements that bind it (and what they reference);
- anything living in another project-local module: that module's whole file,
  plus every project-local module it imports, transitively;
- a simple constant (int, float, str, bytes, bool, None, tuples and
  frozensets of those), wherever it came from: its value;
- a third-party module or object: only its top-level module name, in
  ``modules`` (its code is covered by the environment fingerprint);
  the standard library and repro itself: nothing.

Code is compared as normalized ASTs (no docstrings, no positions), so a
comment, a docstring or a reformatting changes nothing. Names a function
uses are read from its AST (every ``Name``, plus attribute chains rooted
at a project module), so a local variable that shadows a global makes the
global a dependency too: that can only cause a spurious miss, never a
stale hit. Several lambdas on one line are hashed together.

A parent package's ``__init__.py`` is not included when only a submodule
is used: including it would make every step that uses any part of a
package go stale whenever the package's ``__init__`` changes.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import os
import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.machinery import PathFinder

from repro.hashing import DEFAULT_ALGORITHM, Algorithm, canonical_dumps, get_algorithm
from repro.pipelines.sources import Import, Parsed, SourceUnavailableError, find_qualname, load

__all__ = ["CodeFingerprint", "SourceUnavailableError", "changed_files", "code_fingerprint"]

FORMAT = "repro.code/v1"

# Folders under the project root whose Python files are never project code.
_EXCLUDED_PARTS = frozenset({".repro", ".venv", ".git", "site-packages", "dist-packages"})
# Top-level module names that never count as a dependency (repro is not a
# step's dependency; builtins and __main__ outside the project are noise).
_IGNORED_TOPS = frozenset({"repro", "builtins", "__main__"})
_SCALARS = frozenset({int, float, complex, str, bytes, bool, type(None)})


@dataclass(frozen=True)
class CodeFingerprint:
    """``oid`` covers the normalized code and ``modules``; ``files`` maps each
    project file read (project-relative POSIX path) to the digest of its
    bytes, so that unchanged ``files`` prove an unchanged ``oid`` (for the
    same objects in memory and the same installed packages)."""

    oid: str
    files: Mapping[str, str] = field(compare=False)
    modules: tuple[str, ...]
    # Values built at import time went in (their content can change with no
    # change to ``files``): unchanged files prove nothing then.
    volatile: bool = field(default=False, compare=False)

    def __hash__(self) -> int:
        return hash(self.oid)


def code_fingerprint(
    func: Callable[..., object], project_root: str, *, algorithm: str = DEFAULT_ALGORITHM
) -> CodeFingerprint:
    """Fingerprint ``func`` and the project code it reaches.

    ``func`` may be a repro step (an object whose ``__wrapped_step__`` is
    True and whose ``func`` is the plain function), a decorated function
    (``functools.wraps``: ``__wrapped__`` is followed), a method or a
    ``functools.partial``; what remains must be a function defined in a
    ``.py`` file under ``project_root``.
    """
    algo = get_algorithm(algorithm)
    fn = _unwrap(func)
    if not isinstance(fn, types.FunctionType):
        name = getattr(func, "__qualname__", type(func).__name__)
        raise SourceUnavailableError(name, "it is not a Python function", "pass a def function")
    walker = _Walker(_real(project_root), algo)
    home = walker.home_of_step(fn)
    walker.function(fn, home)
    modules = tuple(sorted(walker.modules))
    payload = {
        "format": FORMAT,
        "step": f"{home.rel}:{fn.__qualname__}",
        "parts": sorted([key, oid] for key, oid in walker.parts),
        "modules": modules,
    }
    files = dict(sorted(walker.files.items()))
    oid = algo.hexdigest(canonical_dumps(payload))
    return CodeFingerprint(oid, files, modules, volatile=walker.volatile)


def changed_files(
    files: Mapping[str, str], project_root: str, *, algorithm: str = DEFAULT_ALGORITHM
) -> tuple[str, ...]:
    """The paths of ``files`` (a fingerprint's) whose bytes differ now or
    that are gone: empty means the fingerprint cannot have changed."""
    algo = get_algorithm(algorithm)
    changed = []
    for rel, digest in files.items():
        path = os.path.join(project_root, *rel.split("/"))
        try:
            current = load(path, rel).raw_oid(algo)
        except SourceUnavailableError:
            current = None
        if current != digest:
            changed.append(rel)
    return tuple(changed)


# --- where code lives ----------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _real(path: str) -> str:
    return os.path.realpath(path)


@functools.lru_cache(maxsize=64)
def _venvs_inside(root: str) -> tuple[str, ...]:
    """The running interpreter's prefixes when they lie inside the project
    (a virtual environment kept there under any name)."""
    prefixes = {_real(sys.prefix), _real(sys.base_prefix)}
    return tuple(prefix + os.sep for prefix in prefixes if prefix.startswith(root + os.sep))


@functools.lru_cache(maxsize=8192)
def _project_rel(root: str, path: str) -> str | None:
    """``path`` relative to ``root`` (POSIX) if it is project code, else None."""
    if path.startswith("<"):
        return None
    real = _real(path)
    if not real.startswith(root + os.sep) or real.startswith(_venvs_inside(root)):
        return None
    parts = real[len(root) + 1 :].split(os.sep)
    if _EXCLUDED_PARTS.intersection(parts):
        return None
    return "/".join(parts)


def _is_noise(module_name: str) -> bool:
    top = module_name.partition(".")[0]
    return top in _IGNORED_TOPS or top in sys.stdlib_module_names or top in sys.builtin_module_names


def _find_module(name: str) -> tuple[str | None, list[str]] | None:
    """(file, package search locations) of module ``name``, without importing it."""
    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__file__", None), list(getattr(module, "__path__", None) or [])
    parent = name.rpartition(".")[0]
    search: list[str] | None = None
    if parent:
        found = _find_module(parent)
        if found is None or not found[1]:
            return None
        search = found[1]
    spec = PathFinder.find_spec(name, search)
    if spec is None:
        return None
    origin = spec.origin if spec.has_location else None
    return origin, list(spec.submodule_search_locations or [])


def _package_for(name: str, file: str) -> str:
    return name if os.path.basename(file) == "__init__.py" else name.rpartition(".")[0]


def _unwrap(obj: object) -> object:
    """The plain function behind a repro step, a method, a partial or a
    ``functools.wraps`` decorator (the decorator itself is in the def's AST)."""
    for _ in range(100):  # a bound, against objects whose __getattr__ answers anything
        if getattr(obj, "__wrapped_step__", False) is True and callable(getattr(obj, "func", None)):
            obj = obj.func  # type: ignore[attr-defined]
        elif isinstance(obj, functools.partial):
            obj = obj.func
        elif isinstance(obj, staticmethod | classmethod | types.MethodType):
            obj = obj.__func__
        elif isinstance(obj, types.FunctionType) and hasattr(obj, "__wrapped__"):
            obj = inspect.unwrap(obj)
        else:
            break
    return obj


def _constant_repr(value: object) -> str | None:
    """A stable spelling of a simple constant; None for anything else."""
    kind = type(value)
    if kind in _SCALARS:
        return repr(value)
    if isinstance(value, tuple | frozenset) and kind in (tuple, frozenset):
        items = [_constant_repr(item) for item in value]
        spelled = [item for item in items if item is not None]
        if len(spelled) < len(items):
            return None
        if kind is frozenset:
            spelled.sort()  # set order depends on the hash seed
        return f"{kind.__name__}({','.join(spelled)})"
    return None


# --- the walk --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Home:
    """The module a name is looked up in."""

    rel: str
    parsed: Parsed
    globals: Mapping[str, object]
    package: str | None


_MISSING = object()


class _Walker:
    def __init__(self, root: str, algo: Algorithm) -> None:
        self.root = root
        self.algo = algo
        self.parts: set[tuple[str, str]] = set()
        self.files: dict[str, str] = {}
        self.modules: set[str] = set()
        self.seen: set[tuple[object, ...]] = set()
        self.volatile = False

    def rel(self, path: object) -> str | None:
        return _project_rel(self.root, path) if isinstance(path, str) and path else None

    def read(self, path: str, rel: str) -> Parsed:
        parsed = load(path, rel)
        self.files[rel] = parsed.raw_oid(self.algo)
        return parsed

    def first_visit(self, *key: object) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def add(self, kind: str, home: _Home, name: str, oid: str) -> None:
        self.parts.add((f"{kind} {home.rel}:{name}", oid))

    def home_of_step(self, fn: types.FunctionType) -> _Home:
        path = fn.__code__.co_filename
        if not os.path.isfile(path):
            hint = "define it with def in a .py file of the project"
            raise SourceUnavailableError(
                fn.__qualname__, "it was defined in a REPL or by exec", hint
            )
        rel = self.rel(path)
        if rel is None:
            hint = "move it into the project, or give the project root that holds it"
            raise SourceUnavailableError(fn.__qualname__, "its file is outside the project", hint)
        package = fn.__globals__.get("__package__")
        return _Home(rel, self.read(path, rel), fn.__globals__, package or None)

    def function(self, fn: types.FunctionType, home: _Home) -> None:
        # Keyed by object: two closures of one def may hold different values.
        if not self.first_visit("def", id(fn)):
            return
        code = fn.__code__
        nodes = home.parsed.defs.get((code.co_firstlineno, code.co_name))
        if not nodes:
            reason = f"{home.rel} changed since it was imported"
            raise SourceUnavailableError(fn.__qualname__, reason, "run again in a new process")
        self.add("def", home, fn.__qualname__, home.parsed.nodes_oid(nodes, self.algo))
        for node in nodes:
            self.references(node, home)
        owner = fn.__qualname__.rpartition(".")[0]
        if owner and not owner.endswith("<locals>"):
            self.klass(owner, owner.rpartition(".")[2], home)  # a method: its class too
        for var, cell in zip(code.co_freevars, fn.__closure__ or (), strict=True):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell: the variable is not assigned yet
                continue
            self.value(value, f"{fn.__qualname__}.<closure>.{var}", home)

    def references(self, node: ast.AST, home: _Home) -> None:
        refs = home.parsed.refs(node)
        for name in refs.names:
            # Dunders (__file__, __spec__ ...) describe where the module sits, not code.
            if name in home.globals and not (name.startswith("__") and name.endswith("__")):
                self.value(home.globals[name], name, home)
        for chain in refs.chains:
            self.chain(chain, home)
        for imp in refs.imports:
            self.import_(imp, home.package)

    def chain(self, chain: tuple[str, ...], home: _Home) -> None:
        """``pkg.sub.helper``: follow through project modules only (reading
        their ``__dict__``, so that lazy module attributes are not triggered)."""
        value = home.globals.get(chain[0])
        for depth, attr in enumerate(chain[1:], start=2):
            if (
                not isinstance(value, types.ModuleType)
                or self.rel(value.__dict__.get("__file__")) is None
            ):
                return
            value = value.__dict__.get(attr, _MISSING)
            if value is _MISSING:
                return
            self.value(value, ".".join(chain[:depth]), home)

    def value(self, obj: object, name: str, home: _Home) -> None:
        spelled = _constant_repr(obj)
        if spelled is not None:
            # A path computed from __file__ must not tie the oid to the checkout.
            spelled = spelled.replace(self.root, "<project>")
            self.add("const", home, name, self.algo.hexdigest(spelled.encode()))
        elif isinstance(obj, types.ModuleType):
            self.module_object(obj)
        elif isinstance(obj, functools.partial):
            for arg in (obj.func, *obj.args, *obj.keywords.values()):
                self.value(arg, f"{name}.<partial>", home)
        elif isinstance(fn := _unwrap(obj), types.FunctionType):
            if self.rel(fn.__code__.co_filename) == home.rel:
                self.function(fn, home)
            else:
                self.foreign(fn.__module__, fn.__code__.co_filename)
        elif isinstance(fn, type):
            self.type_(fn, name, home)
        else:
            self.binding(name, home)  # e.g. CONFIG = {...}: the statements that build it
            self.type_(type(fn), type(fn).__name__, home)
            self.state(obj, name, home)

    def state(self, obj: object, name: str, home: _Home) -> None:
        """A value built at import time (``CONFIG = json.load(open(...))``):
        its content too, when it can be written as JSON, since the statement
        that builds it stays the same when the file it reads changes. A
        literal (``PARAMS = {"a": 1}``) is covered by its statement alone."""
        if _literal_bindings(home.parsed.bindings().get(name, ())):
            return
        try:
            text = canonical_dumps(obj).decode()
        except (TypeError, ValueError, RecursionError):
            return
        text = text.replace(self.root, "<project>")
        self.add("value", home, name, self.algo.hexdigest(text.encode()))
        self.volatile = True

    def type_(self, cls: type, name: str, home: _Home) -> None:
        module_name = getattr(cls, "__module__", None)
        file = getattr(sys.modules.get(module_name or ""), "__file__", None)
        if self.rel(file) != home.rel:
            self.foreign(module_name, file)
        elif not self.klass(cls.__qualname__, name, home):
            self.binding(name, home)  # a class made by a call, e.g. namedtuple()

    def klass(self, qualname: str, name: str, home: _Home) -> bool:
        if not self.first_visit("class", home.rel, qualname):
            return True
        nodes = [
            n for n in find_qualname(home.parsed.tree, qualname) if isinstance(n, ast.ClassDef)
        ]
        if nodes:
            self.add("class", home, qualname, home.parsed.nodes_oid(list(nodes), self.algo))
            for node in nodes:
                self.references(node, home)
        return bool(nodes)

    def binding(self, name: str, home: _Home) -> None:
        statements: list[ast.AST] = list(home.parsed.bindings().get(name, ()))
        if statements and self.first_visit("bind", home.rel, name):
            self.add("bind", home, name, home.parsed.nodes_oid(statements, self.algo))
            for statement in statements:
                self.references(statement, home)

    def foreign(self, module_name: str | None, file: object) -> None:
        """Code of another module: its whole file if it is project code."""
        rel = self.rel(file)
        if rel is not None and isinstance(file, str):
            package = getattr(sys.modules.get(module_name or ""), "__package__", None)
            self.module_file(file, rel, package or None)
        elif module_name and not _is_noise(module_name):
            self.modules.add(module_name.partition(".")[0])

    def module_object(self, module: types.ModuleType) -> None:
        file = module.__dict__.get("__file__")
        if file is None and any(self.rel(path) for path in getattr(module, "__path__", [])):
            return  # a namespace package of the project: no code of its own
        self.foreign(module.__name__, file)

    def module_file(self, path: str, rel: str, package: str | None) -> None:
        if not self.first_visit("module", rel):
            return
        parsed = self.read(path, rel)
        self.parts.add((f"module {rel}", parsed.module_oid(self.algo)))
        for imp in parsed.refs(parsed.tree).imports:
            self.import_(imp, package)

    def import_(self, imp: Import, package: str | None) -> None:
        base = imp.module
        if imp.level:
            if not package:
                return  # a relative import outside a package fails at run time anyway
            try:
                base = importlib.util.resolve_name("." * imp.level + imp.module, package)
            except (ImportError, ValueError):
                return
        if self.module_named(base):
            for name in imp.names:  # ``from pkg import sub``: sub may be a module
                self.module_named(f"{base}.{name}")

    def module_named(self, name: str) -> bool:
        """Follow module ``name``; True if it is project code."""
        if _is_noise(name):
            return False
        found = _find_module(name)
        if found is None:
            return False  # not installed, or an attribute rather than a module
        file, search = found
        rel = self.rel(file)
        if rel is not None and file is not None:
            self.module_file(file, rel, _package_for(name, file))
            return True
        if file is None and any(self.rel(path) for path in search):
            return True  # a namespace package of the project
        self.modules.add(name.partition(".")[0])
        return False


def _literal_bindings(statements: object) -> bool:
    """Every statement binding the name assigns a literal."""
    found = list(statements) if isinstance(statements, list | tuple) else []
    for statement in found:
        value = getattr(statement, "value", None)
        if not isinstance(statement, ast.Assign | ast.AnnAssign) or value is None:
            return False
        try:
            ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
    return bool(found)
