"""Layer 4: a step's output value becomes bytes in the store, and back.

The same value gives the same bytes in every process, so a replay can prove
it produced the same output. Each artifact records the materializer (and its
format version) that wrote it. Built-ins, in lookup order: ``text``,
``bytes``, ``json``, ``numpy.npy``, ``pandas.parquet``, ``file``, ``path``,
``sklearn.skops``, ``drift.report``, then ``pickle`` where the project allows it. Add your own::

    @repro.materialize.register
    class TorchTensor(BytesMaterializer): ...

Importing this package imports none of pandas, numpy, pyarrow, sklearn or
skops; each is imported when a value of its kind is stored or loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from repro.lazy import lazy_exports

if TYPE_CHECKING:
    from repro.materialize.base import (
        Artifact,
        BytesMaterializer,
        MaterializeOptions,
        Materializer,
        type_name,
    )
    from repro.materialize.errors import (
        ArtifactLoadError,
        InvalidArtifactError,
        InvalidMaterializerError,
        MaterializeError,
        MaterializerVersionError,
        NoMaterializerError,
        PickleNotAllowedError,
        UnknownMaterializerError,
        UntrustedTypesError,
    )
    from repro.materialize.registry import (
        Registry,
        builtin_materializers,
        default_registry,
        dump,
        load,
        register,
    )

_MODULES = {
    "repro.materialize.base": (
        "Artifact",
        "BytesMaterializer",
        "MaterializeOptions",
        "Materializer",
        "type_name",
    ),
    "repro.materialize.errors": (
        "ArtifactLoadError",
        "InvalidArtifactError",
        "InvalidMaterializerError",
        "MaterializeError",
        "MaterializerVersionError",
        "NoMaterializerError",
        "PickleNotAllowedError",
        "UnknownMaterializerError",
        "UntrustedTypesError",
    ),
    "repro.materialize.registry": (
        "BACKEND_MODULES",
        "Registry",
        "builtin_materializers",
        "default_registry",
        "dump",
        "load",
        "register",
    ),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}

__getattr__ = lazy_exports(globals(), _LAZY)

__all__ = [
    "BACKEND_MODULES",
    "Artifact",
    "ArtifactLoadError",
    "BytesMaterializer",
    "InvalidArtifactError",
    "InvalidMaterializerError",
    "MaterializeError",
    "MaterializeOptions",
    "Materializer",
    "MaterializerVersionError",
    "NoMaterializerError",
    "PickleNotAllowedError",
    "Registry",
    "UnknownMaterializerError",
    "UntrustedTypesError",
    "builtin_materializers",
    "default_registry",
    "dump",
    "load",
    "register",
    "type_name",
]
