"""numpy arrays and scalars as ``.npy`` bytes (never pickled objects).

A numpy scalar (``np.float32(1.5)``) is stored as a 0-d array and loads back
as the same scalar type, rather than as JSON: JSON would turn it into a
Python float and lose its dtype. The artifact's ``type`` tells the two apart
(a 0-d ``numpy.ndarray`` stays an array).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from repro.materialize.base import Artifact, BytesMaterializer, MaterializeOptions, defined_in

if TYPE_CHECKING:
    from repro.store import ObjectStore

__all__ = ["NumpyMaterializer"]

_ARRAY_TYPE = "numpy.ndarray"


class NumpyMaterializer(BytesMaterializer):
    name = "numpy.npy"
    version = "1"

    def handles(self, value: object) -> bool:
        if not defined_in(value, "numpy"):
            return False  # numpy is not imported for a value that is not numpy's
        import numpy as np

        # Exactly ndarray: a subclass (a masked array, a matrix) would lose
        # what makes it one in a .npy file.
        return type(value) is np.ndarray or isinstance(value, np.generic)

    def to_bytes(self, value: object) -> bytes:
        import numpy as np

        array = np.asarray(value)
        if array.dtype.hasobject:
            raise self.refuse(
                value,
                f"dtype {array.dtype} holds Python objects, which .npy stores only by "
                "pickling; convert it to a numeric or string dtype (or a list, for JSON)",
            )
        buffer = io.BytesIO()
        try:
            np.save(buffer, array, allow_pickle=False)
        except ValueError as exc:
            raise self.refuse(value, f"numpy cannot save it without pickling ({exc})") from exc
        return buffer.getvalue()

    def from_bytes(self, data: bytes) -> object:
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)

    def load(self, artifact: Artifact, store: ObjectStore, options: MaterializeOptions) -> object:
        array = super().load(artifact, store, options)
        if artifact.type != _ARRAY_TYPE:
            return array[()]  # type: ignore[index]
        return array
