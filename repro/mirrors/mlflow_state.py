"""Whether each run reached MLflow: ``.repro/mirrors/mlflow/<run>.json``,
written after every attempt, so that a failed mirror is remembered and
``repro mlflow sync`` knows what to send again."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from repro.atomic import write_atomic
from repro.errors import ReproError
from repro.lineage.runs import is_run_id_prefix

__all__ = [
    "STATE_SCHEMA",
    "MirrorState",
    "MirrorStateInvalidError",
    "load_state",
    "save_state",
    "state_folder",
    "utc_now",
]

STATE_SCHEMA: Final = "repro.mirror.mlflow/v1"
# The folder ignores itself: a mirror's bookkeeping must not make the work
# tree dirty (the next run would be recorded as dirty).
_IGNORE_ALL = b"*\n"

MirrorStatus = Literal["mirrored", "failed"]


class MirrorStateInvalidError(ReproError, ValueError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"{path} is not a valid MLflow mirror state ({reason}): delete it, then "
            "'repro mlflow sync' mirrors the run again"
        )


@dataclass(frozen=True)
class MirrorState:
    status: MirrorStatus
    reason: str | None  # why it failed
    at: str  # when the attempt ended (UTC, ISO 8601)
    mlflow_run_id: str | None = None
    tracking_uri: str | None = None  # without credentials
    experiment: str | None = None

    def to_json(self) -> bytes:
        doc = {"schema": STATE_SCHEMA, **asdict(self)}
        return json.dumps(doc, sort_keys=True, indent=2).encode() + b"\n"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def state_folder(repro_dir: str) -> str:
    return os.path.join(repro_dir, "mirrors", "mlflow")


def _path(repro_dir: str, run_id: str) -> str:
    if not is_run_id_prefix(run_id):  # never a path built from anything else
        raise ValueError(f"not a run id: {run_id!r}")
    return os.path.join(state_folder(repro_dir), f"{run_id}.json")


def save_state(repro_dir: str, run_id: str, state: MirrorState) -> None:
    ignore = os.path.join(os.path.dirname(state_folder(repro_dir)), ".gitignore")
    if not os.path.exists(ignore):
        write_atomic(ignore, _IGNORE_ALL)
    write_atomic(_path(repro_dir, run_id), state.to_json())


def load_state(repro_dir: str, run_id: str) -> MirrorState | None:
    """The state of the latest attempt to mirror ``run_id``; None if none was made."""
    path = _path(repro_dir, run_id)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return None
    return _parse(data, path)


def _parse(data: bytes, path: str) -> MirrorState:
    try:
        doc: Any = json.loads(data)
    except ValueError as exc:
        raise MirrorStateInvalidError(path, f"not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("schema") != STATE_SCHEMA:
        schema = doc.get("schema") if isinstance(doc, dict) else None
        raise MirrorStateInvalidError(path, f"schema {schema!r}, expected {STATE_SCHEMA}")
    doc.pop("schema")
    try:
        state = MirrorState(**doc)
    except TypeError as exc:
        raise MirrorStateInvalidError(path, str(exc)) from exc
    if state.status not in ("mirrored", "failed"):
        raise MirrorStateInvalidError(path, f"unknown status {state.status!r}")
    return state
