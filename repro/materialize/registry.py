"""Which materializer stores a value, and which one reads an artifact back.

Lookup is by order: the first materializer that is enabled under the
options and handles the value wins. Registering puts a materializer first
(so a user's beats a built-in), or, with ``first=False``, before the
fallbacks. Artifacts name their materializer, so a load looks it up by
name and checks it reads the artifact's format version.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from repro.materialize.arrays import NumpyMaterializer
from repro.materialize.base import Artifact, MaterializeOptions, Materializer, type_name
from repro.materialize.core import BytesValueMaterializer, JsonMaterializer, TextMaterializer
from repro.materialize.errors import (
    InvalidMaterializerError,
    MaterializerVersionError,
    NoMaterializerError,
    UnknownMaterializerError,
)
from repro.materialize.estimators import SkopsMaterializer
from repro.materialize.frames import ParquetMaterializer
from repro.materialize.paths import FileMaterializer, PathMaterializer
from repro.materialize.pickles import PickleMaterializer
from repro.materialize.reports import DriftReportMaterializer

if TYPE_CHECKING:
    from repro.store import ObjectStore

__all__ = [
    "BACKEND_MODULES",
    "Registry",
    "builtin_materializers",
    "default_registry",
    "dump",
    "load",
    "register",
]

_DEFAULT_OPTIONS = MaterializeOptions()
M = TypeVar("M", bound=Materializer | type[Materializer])


# The libraries whose versions decide the built-in materializers' bytes
# (Parquet files name their writer, skops files the library versions): a
# step's environment covers them, whatever the step imports itself.
BACKEND_MODULES = ("numpy", "pandas", "pyarrow", "sklearn", "skops")


def builtin_materializers() -> list[Materializer]:
    """The built-ins, in lookup order."""
    return [
        TextMaterializer(),
        BytesValueMaterializer(),
        JsonMaterializer(),
        NumpyMaterializer(),
        ParquetMaterializer(),
        FileMaterializer(),
        PathMaterializer(),
        SkopsMaterializer(),
        DriftReportMaterializer(),
        PickleMaterializer(),
    ]


class Registry:
    def __init__(self, materializers: Iterable[Materializer] = ()) -> None:
        # Replaced whole, never changed in place: a lookup in another thread
        # sees the old order or the new one.
        self._order: tuple[Materializer, ...] = ()
        self._lock = threading.Lock()
        for materializer in materializers:
            self.register(materializer, first=False)

    def materializers(self) -> list[Materializer]:
        """Every materializer, in lookup order."""
        return list(self._order)

    def register(self, materializer: Materializer, *, first: bool = True) -> None:
        """Add ``materializer``, replacing one of the same name."""
        _check(materializer)
        with self._lock:
            rest = [m for m in self._order if m.name != materializer.name]
            if materializer.fallback:
                at = len(rest) if not first else _first_fallback(rest)
            else:
                at = 0 if first else _first_fallback(rest)
            rest.insert(at, materializer)
            self._order = tuple(rest)

    def unregister(self, name: str) -> None:
        """Remove the materializer called ``name``."""
        with self._lock:
            self.by_name(name)
            self._order = tuple(m for m in self._order if m.name != name)

    def for_value(self, value: object, options: MaterializeOptions) -> Materializer:
        for materializer in self._order:
            if materializer.enabled(options) and materializer.handles(value):
                return materializer
        raise NoMaterializerError(type_name(value))

    def by_name(self, name: str) -> Materializer:
        for materializer in self._order:
            if materializer.name == name:
                return materializer
        raise UnknownMaterializerError(name, sorted(m.name for m in self._order))

    def dump(
        self, value: object, store: ObjectStore, options: MaterializeOptions = _DEFAULT_OPTIONS
    ) -> Artifact:
        return self.for_value(value, options).dump(value, store, options)

    def load(
        self, artifact: Artifact, store: ObjectStore, options: MaterializeOptions = _DEFAULT_OPTIONS
    ) -> object:
        materializer = self.by_name(artifact.materializer)
        if not materializer.reads(artifact.version):
            raise MaterializerVersionError(
                artifact.materializer, artifact.version, materializer.version
            )
        return materializer.load(artifact, store, options)


def _first_fallback(order: list[Materializer]) -> int:
    return next((i for i, m in enumerate(order) if m.fallback), len(order))


def _check(materializer: object) -> None:
    if not isinstance(materializer, Materializer):
        raise InvalidMaterializerError(repr(materializer), "it is not a Materializer")
    for field in ("name", "version"):
        value = getattr(materializer, field, None)
        if not isinstance(value, str) or not value:
            what = type_name(materializer)
            raise InvalidMaterializerError(what, f"its {field} must be a non-empty string")


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry: the built-ins, and what ``register`` added."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Registry(builtin_materializers())
        return _default


def register(materializer: M) -> M:
    """Add a materializer (a class, instantiated without arguments, or an
    instance) to the default registry, ahead of the built-ins; returns its
    argument, so that it works as a class decorator."""
    default_registry().register(_instance(materializer))
    return materializer


def _instance(materializer: Materializer | type[Materializer]) -> Materializer:
    if not isinstance(materializer, type):
        return materializer
    if not issubclass(materializer, Materializer):
        raise InvalidMaterializerError(repr(materializer), "it is not a Materializer subclass")
    try:
        return materializer()
    except TypeError as exc:  # abstract methods left, or arguments needed
        raise InvalidMaterializerError(materializer.__qualname__, str(exc)) from exc


def dump(
    value: object, store: ObjectStore, options: MaterializeOptions = _DEFAULT_OPTIONS
) -> Artifact:
    """Store ``value`` with the default registry."""
    return default_registry().dump(value, store, options)


def load(
    artifact: Artifact, store: ObjectStore, options: MaterializeOptions = _DEFAULT_OPTIONS
) -> object:
    """Read ``artifact`` back with the default registry."""
    return default_registry().load(artifact, store, options)
