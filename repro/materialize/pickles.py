"""The last resort: any picklable value, only where the project opts in.

Loading a pickle runs whatever code its bytes name, so both directions
refuse unless ``allow_pickle`` is set: a store that refuses to write
pickles holds none a later load could be tricked into running. The
protocol is fixed; the bytes are as stable as the value's own pickling
(a ``set`` of strings, say, pickles in an order that varies per process).
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

from repro.materialize.base import Artifact, BytesMaterializer, MaterializeOptions
from repro.materialize.errors import PickleNotAllowedError

if TYPE_CHECKING:
    from repro.store import ObjectStore

__all__ = ["PICKLE_PROTOCOL", "PickleMaterializer"]

PICKLE_PROTOCOL = 5


class PickleMaterializer(BytesMaterializer):
    name = "pickle"
    version = "1"
    fallback = True
    # A class that moved or went away since the dump fails as one of these.
    load_errors = (pickle.UnpicklingError, AttributeError, ImportError, EOFError, ValueError)

    def handles(self, value: object) -> bool:
        return True

    def enabled(self, options: MaterializeOptions) -> bool:
        return options.allow_pickle

    def dump(self, value: object, store: ObjectStore, options: MaterializeOptions) -> Artifact:
        if not options.allow_pickle:
            raise PickleNotAllowedError("dump")
        return super().dump(value, store, options)

    def load(self, artifact: Artifact, store: ObjectStore, options: MaterializeOptions) -> object:
        if not options.allow_pickle:
            raise PickleNotAllowedError("load", artifact.oid)
        return super().load(artifact, store, options)

    def to_bytes(self, value: object) -> bytes:
        try:
            return pickle.dumps(value, protocol=PICKLE_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise self.refuse(value, f"it cannot be pickled ({exc})") from exc

    def from_bytes(self, data: bytes) -> object:
        return pickle.loads(data)
