"""Results of executed steps by cache key (``.repro/steps/``): written the
moment a step finishes, so a run killed mid-way loses only what was in
flight and the next run reuses everything else.

A step that opened files nobody declared (its discovered inputs) may have
several results under one key, one per content of those files, as
ccache's manifests keep one per set of headers: ``<key>.json`` holds the
result of a step that discovered nothing, ``<key>.<variant>.json`` each
one that did, and a lookup takes the newest whose discovered files still
have the content it recorded."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from repro.atomic import write_atomic
from repro.hashing import canonical_dumps, get_algorithm
from repro.store import ObjectStore

__all__ = ["StepCache", "discovered_changes"]

# path -> its content id now (None: absent)
DigestOf = Callable[[str], str | None]


class StepCache:
    def __init__(self, repro_dir: str) -> None:
        self.folder = os.path.join(repro_dir, "steps")

    def _path(self, key: str, variant: str = "") -> str:
        if not key.isalnum():
            raise ValueError(f"not a cache key: {key!r}")
        suffix = f".{variant}" if variant else ""
        return os.path.join(self.folder, key[:2], f"{key[2:]}{suffix}.json")

    def get(
        self, key: str, store: ObjectStore, digest_of: DigestOf | None = None
    ) -> dict[str, Any] | None:
        """The newest stored result whose objects are all in ``store`` and
        whose discovered inputs hold (``digest_of`` None: it is not asked)."""
        for entry in self.entries(key):
            discovered = entry.get("discovered") or {}
            if discovered and (digest_of is None or discovered_changes(discovered, digest_of)):
                continue
            oids = [artifact["oid"] for artifact in entry.get("outputs", {}).values()]
            if not store.missing(oids):
                return entry
        return None

    def entries(self, key: str) -> Iterator[dict[str, Any]]:
        """Every result stored under ``key``, newest first."""
        folder = os.path.dirname(self._path(key))
        stem = key[2:]
        try:
            names = [n for n in os.listdir(folder) if n.startswith(stem + ".")]
        except (FileNotFoundError, NotADirectoryError):
            return
        paths = sorted((os.path.join(folder, name) for name in names), key=_age)
        for path in paths:
            try:
                with open(path, encoding="utf-8") as file:
                    entry = json.load(file)
            except (FileNotFoundError, json.JSONDecodeError):
                continue
            if isinstance(entry, dict):
                yield entry

    def put(self, key: str, entry: Mapping[str, Any]) -> None:
        discovered = entry.get("discovered") or {}
        variant = _variant(discovered) if discovered else ""
        write_atomic(self._path(key, variant), json.dumps(entry, sort_keys=True).encode())


def discovered_changes(discovered: Mapping[str, str | None], digest_of: DigestOf) -> list[str]:
    """The discovered inputs whose content is not the recorded one now."""
    return [path for path, oid in sorted(discovered.items()) if digest_of(path) != oid]


def _variant(discovered: Mapping[str, str | None]) -> str:
    hasher = get_algorithm("xxh3-128").new()
    hasher.update(canonical_dumps(dict(discovered)))
    return str(hasher.hexdigest())[:16]


def _age(path: str) -> tuple[float, str]:
    try:
        return (-os.stat(path).st_mtime, path)
    except FileNotFoundError:
        return (0.0, path)
