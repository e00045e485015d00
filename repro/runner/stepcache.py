"""Results of executed steps by cache key (``.repro/steps/``): written the
moment a step finishes, so a run killed mid-way loses only what was in
flight and the next run reuses everything else."""

from __future__ import annotations

import json
import os
from typing import Any

from repro.atomic import write_atomic
from repro.store import ObjectStore

__all__ = ["StepCache"]


class StepCache:
    def __init__(self, repro_dir: str) -> None:
        self.folder = os.path.join(repro_dir, "steps")

    def _path(self, key: str) -> str:
        if not key.isalnum():
            raise ValueError(f"not a cache key: {key!r}")
        return os.path.join(self.folder, key[:2], key[2:] + ".json")

    def get(self, key: str, store: ObjectStore) -> dict[str, Any] | None:
        """The stored result, if every object it names is still in ``store``."""
        try:
            with open(self._path(key), encoding="utf-8") as file:
                entry: dict[str, Any] = json.load(file)
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        oids = [artifact["oid"] for artifact in entry.get("outputs", {}).values()]
        if store.missing(oids):
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        write_atomic(self._path(key), json.dumps(entry, sort_keys=True).encode())
