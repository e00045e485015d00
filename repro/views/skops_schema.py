"""What a skops file says of the estimator in it, read from its schema
(``schema.json``) alone: no object is built and no code runs, so a model
can be previewed whatever the project trusts."""

from __future__ import annotations

import json
import zipfile
from typing import IO, Any, Final, TypeVar

from repro.errors import ReproError
from repro.views.formats import first_line

__all__ = ["SkopsSchemaError", "field", "node_text", "param_names", "read_schema"]

_T = TypeVar("_T")
# What zipfile raises reading damaged bytes: a bad header or checksum, a
# missing entry, a compression method or zip version it lacks, encryption,
# a size or offset past the end, a negative seek (OSError from a file).
_ZIP_ERRORS: Final = (
    zipfile.BadZipFile,
    KeyError,
    NotImplementedError,
    RuntimeError,
    EOFError,
    ValueError,
    OSError,
)


class SkopsSchemaError(ReproError, ValueError):
    """A skops file, or its schema, this repro cannot read; ``reason``: why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def read_schema(source: str | IO[bytes]) -> dict[str, Any]:
    """The schema (``schema.json``) of the skops file at ``source``."""
    from repro.materialize.skopsfile import SCHEMA_NAME

    try:
        with zipfile.ZipFile(source) as archive:
            data = archive.read(SCHEMA_NAME)
    except _ZIP_ERRORS as exc:
        raise SkopsSchemaError(f"not a skops file ({first_line(exc)})") from exc
    schema = _json_value(data)
    if not isinstance(schema, dict):
        raise SkopsSchemaError(f"the {SCHEMA_NAME} of a skops file holds no JSON object")
    return schema


def _json_value(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SkopsSchemaError(f"not a skops schema ({first_line(exc)})") from exc


def field(node: dict[str, Any], key: str, kind: type[_T]) -> _T:
    """``node[key]``, a ``kind`` in a skops schema this repro reads."""
    value = node.get(key)
    if not isinstance(value, kind):
        raise SkopsSchemaError(f"the skops schema has no {key!r} of type {kind.__name__}")
    return value


def param_names(name: str) -> list[str]:
    """The constructor's parameters: what ``get_params`` reports."""
    import importlib
    import inspect

    module, _, attribute = name.rpartition(".")
    cls = getattr(importlib.import_module(module), attribute)
    signature = inspect.signature(cls.__init__)
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return sorted(
        p.name for p in signature.parameters.values() if p.name != "self" and p.kind not in kinds
    )


def node_text(node: dict[str, Any]) -> str:
    """A value in a skops schema as ``repr`` shows it; a value that skops
    stores as an object (a nested estimator, an array) as its class."""
    if node.get("__loader__") == "JsonNode":
        return repr(_json_value(field(node, "content", str)))
    return f"<{node.get('__class__', 'object')}>"
