"""Canonical skops files: the same model gives the same bytes in every process.

skops names the files inside its zip after Python object ids (and uuids,
for bytes), stores those ids in its schema to mark shared objects, stamps
every entry with the current time, writes sets in hash order, and numpy's
``.npz`` (a sparse matrix) is itself a zip stamped with the time. So the
same fitted model dumps differently on every call. Rewriting fixes each:

- every data file is renamed after a hash of its content (identical files
  become one entry), and the schema's ``file`` fields follow;
- a set's items are sorted by their serialized form;
- ids are renumbered 1, 2, ... in order of first appearance, keeping which
  nodes share one; the ids of JSON scalars (str, int, float, None) are
  dropped, since sharing an immutable value means nothing and whether
  CPython shares one is an accident of how it was computed;
- both zips are rewritten with fixed timestamps and attributes, entries
  sorted by name, stored uncompressed (no zlib version to drift).

skops reads the result as it reads its own files.
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from collections.abc import Iterator
from typing import Any

from repro.hashing import get_algorithm

__all__ = ["SCHEMA_NAME", "UnexpectedEntryError", "canonical_skops"]

SCHEMA_NAME = "schema.json"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold
_UNIX = 3  # ZipInfo.create_system, which otherwise depends on the platform
_MODE = 0o644 << 16
_NAME_HASH = "xxh3-128"


class UnexpectedEntryError(ValueError):
    """A zip entry the schema does not name: a skops format this code does not know."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"skops wrote an entry {name!r} that its schema does not name")


def canonical_skops(data: bytes) -> bytes:
    """The canonical form of the skops file ``data`` (which may be canonical already)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read(SCHEMA_NAME))
        files = {
            info.filename: archive.read(info)
            for info in archive.infolist()
            if info.filename != SCHEMA_NAME
        }
    entries = _rename_files(schema, files)
    for node in _nodes(schema):
        if node["__loader__"] == "SetNode":
            node["content"].sort(key=_sort_key)
    _renumber(schema)
    entries[SCHEMA_NAME] = json.dumps(schema, separators=(",", ":")).encode()
    return _write_zip(entries)


def _nodes(schema: Any) -> Iterator[dict[str, Any]]:
    """Every node of the schema (a dict with a ``__loader__``), in document order."""
    pending = [schema]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                yield item
            pending.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            pending.extend(reversed(item))


def _rename_files(schema: Any, files: dict[str, bytes]) -> dict[str, bytes]:
    hexdigest = get_algorithm(_NAME_HASH).hexdigest
    names: dict[str, str] = {}
    entries: dict[str, bytes] = {}
    for node in _nodes(schema):
        old = node.get("file")
        if not isinstance(old, str):
            continue
        if old not in names:
            content = files[old]
            if old.endswith(".npz"):
                content = _write_zip(_read_zip(content))
            names[old] = hexdigest(content) + posixpath.splitext(old)[1]
            entries[names[old]] = content
        node["file"] = names[old]
    for name in files.keys() - names.keys():
        raise UnexpectedEntryError(name)
    return entries


def _sort_key(node: Any) -> str:
    return json.dumps(_without_ids(node), sort_keys=True)


def _without_ids(item: Any) -> Any:
    if isinstance(item, dict):
        return {key: _without_ids(value) for key, value in item.items() if key != "__id__"}
    if isinstance(item, list):
        return [_without_ids(value) for value in item]
    return item


def _renumber(schema: Any) -> None:
    ids: dict[int, int] = {}
    for node in _nodes(schema):
        if "__id__" not in node:
            continue
        if node["__loader__"] == "JsonNode":
            del node["__id__"]
        else:
            # From 1: skops ignores an id that is false.
            node["__id__"] = ids.setdefault(node["__id__"], len(ids) + 1)


def _read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _write_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = _UNIX
            info.external_attr = _MODE
            archive.writestr(info, entries[name])
    return buffer.getvalue()
