"""The built-ins for plain Python values: text, bytes and JSON-able data."""

from __future__ import annotations

from typing import Any

from repro.hashing import CanonicalizationError, canonical_dumps, canonical_loads
from repro.materialize.base import BytesMaterializer

__all__ = ["BytesValueMaterializer", "JsonMaterializer", "TextMaterializer", "is_json_value"]

_SCALARS = (type(None), bool, int, float, str)


class TextMaterializer(BytesMaterializer):
    """A ``str`` as its UTF-8 bytes (exactly ``str``: a subclass would load
    back as a plain ``str``)."""

    name = "text"
    version = "1"

    def handles(self, value: object) -> bool:
        return type(value) is str

    def to_bytes(self, value: object) -> bytes:
        assert isinstance(value, str)
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise self.refuse(value, f"not encodable as UTF-8 ({exc.reason})") from exc

    def from_bytes(self, data: bytes) -> object:
        return data.decode("utf-8")


class BytesValueMaterializer(BytesMaterializer):
    """``bytes`` and ``bytearray`` as themselves; both load back as ``bytes``."""

    name = "bytes"
    version = "1"

    def handles(self, value: object) -> bool:
        return type(value) in (bytes, bytearray)

    def to_bytes(self, value: object) -> bytes:
        assert isinstance(value, bytes | bytearray)
        return bytes(value)

    def from_bytes(self, data: bytes) -> object:
        return data


class JsonMaterializer(BytesMaterializer):
    """None, bool, int, float, str in lists and str-keyed dicts, as canonical
    JSON. Only values that load back as they were: a tuple would come back a
    list, so tuples (and subclasses of these types) are not handled here."""

    name = "json"
    version = "1"

    def handles(self, value: object) -> bool:
        # A bare str is text; inside a list or dict it is JSON.
        return type(value) is not str and is_json_value(value)

    def to_bytes(self, value: object) -> bytes:
        try:
            return canonical_dumps(value)
        except CanonicalizationError as exc:
            raise self.refuse(value, exc.reason) from exc
        except RecursionError as exc:
            raise self.refuse(value, "nested too deeply, or it contains itself") from exc

    def from_bytes(self, data: bytes) -> Any:
        return canonical_loads(data)


def is_json_value(value: object) -> bool:
    """Whether ``value`` is built only of exact JSON types (floats of any
    value: a NaN is refused when dumped, with a reason). Iterative, so deep
    nesting cannot exhaust the stack; a container met twice (shared, or a
    cycle) is checked once, and ``canonical_dumps`` refuses cycles."""
    pending: list[object] = [value]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if type(item) in _SCALARS or id(item) in seen:
            continue
        seen.add(id(item))
        if type(item) is list:
            pending.extend(item)
        elif type(item) is dict and all(type(key) is str for key in item):
            pending.extend(item.values())
        else:
            return False
    return True
