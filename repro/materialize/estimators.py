"""scikit-learn estimators through skops, in canonical form (see skopsfile).

skops refuses, on load, types outside its default trusted set; the usual
ones are sklearn's own classes (``sklearn.tree._tree.Tree``). A load trusts
a type only if it is a class from sklearn, numpy or scipy, not a function
(a function named in a file is called with the file's arguments) and not one
that opens files. Anything else needs the project to opt in with
``allow_pickle``, as for a pickle: that says it trusts the store's writers.
The same check runs at dump time, so a model that could not be loaded back
fails in the step that made it, not in the one that reads it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from repro.materialize.base import Artifact, MaterializeOptions, Materializer
from repro.materialize.errors import ArtifactLoadError, UntrustedTypesError

if TYPE_CHECKING:
    from repro.store import ObjectStore

__all__ = ["SkopsMaterializer", "trustworthy"]

_TRUSTED_PACKAGES = frozenset({"sklearn", "numpy", "scipy"})
# Classes of those packages that read or write files when constructed.
_FILE_MODULES = ("scipy.io", "numpy.lib.format")


class SkopsMaterializer(Materializer):
    name = "sklearn.skops"
    version = "1"

    def handles(self, value: object) -> bool:
        # By the class's bases, so that sklearn is not imported to answer.
        return any(
            cls.__name__ == "BaseEstimator" and cls.__module__ == "sklearn.base"
            for cls in type(value).__mro__
        )

    def dump(self, value: object, store: ObjectStore, options: MaterializeOptions) -> Artifact:
        import skops.io
        from skops.io.exceptions import UnsupportedTypeException

        from repro.materialize.skopsfile import UnexpectedEntryError, canonical_skops

        try:
            data = canonical_skops(skops.io.dumps(value))
        except (UnsupportedTypeException, UnexpectedEntryError, TypeError) as exc:
            raise self.refuse(value, f"skops cannot store it ({exc})") from exc
        _check_trust("dump", skops.io.get_untrusted_types(data=data), options)
        return self.artifact(value, store.write(data), "blob", len(data))

    def load(self, artifact: Artifact, store: ObjectStore, options: MaterializeOptions) -> object:
        import zipfile

        import skops.io

        self.expect_kind(artifact, "blob")
        data = store.read(artifact.oid)
        try:
            untrusted = skops.io.get_untrusted_types(data=data)
            _check_trust("load", untrusted, options)
            return skops.io.loads(data, trusted=untrusted)
        except (zipfile.BadZipFile, ImportError, AttributeError, KeyError, ValueError) as exc:
            raise ArtifactLoadError(artifact.oid, self.name, str(exc)) from exc


def _check_trust(action: str, untrusted: list[str], options: MaterializeOptions) -> None:
    if options.allow_pickle:
        return
    refused = [name for name in untrusted if not trustworthy(name)]
    if refused:
        raise UntrustedTypesError(action, refused)


def trustworthy(name: str) -> bool:
    """Whether the type ``module.Name`` is a class from sklearn, numpy or
    scipy that reads and writes no files. Only modules of those packages
    are imported to tell."""
    module_name, _, attribute = name.rpartition(".")
    if module_name.partition(".")[0] not in _TRUSTED_PACKAGES:
        return False
    try:
        found = getattr(importlib.import_module(module_name), attribute, None)
    except ImportError:
        return False
    if not isinstance(found, type) or found.__module__.startswith(_FILE_MODULES):
        return False
    import numpy as np

    return not issubclass(found, np.memmap)
