"""``repro lock merge BASE OURS THEIRS``: the Git merge driver of
repro.lock, a 3-way merge pipeline by pipeline.

A pipeline changed on one side only takes that side; changed the same way
on both, that change; deleted on one side and untouched on the other, it
goes. Changed differently on both sides (or changed on one and deleted on
the other), the entry of our side (else the one that is left) stays and
the lock records the conflict under ``conflicts``: Git reports a conflict,
``repro status`` and ``repro run`` never take the lock as settled, and
``repro run`` of the pipeline writes a new entry, which ends the conflict.

The result replaces OURS atomically; a lock that cannot be read leaves
OURS as it was (Git then reports a conflict)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from repro.errors import ReproError

if TYPE_CHECKING:
    from repro.lineage.lock import LockConflict, LockedPipeline, LockFile

__all__ = ["LockMergeInputError", "MergeResult", "merge_lock_files", "merge_locks"]

_SIDES = {"base": "the common ancestor's", "ours": "our", "theirs": "the merged branch's"}


class LockMergeInputError(ReproError, ValueError):
    def __init__(self, side: str, path: str, reason: str) -> None:
        self.side = side
        self.path = path
        self.reason = reason
        super().__init__(
            f"cannot merge repro.lock: {_SIDES[side]} version ({path}) is not a valid lock: "
            f"{reason}; fix it on that side and merge again, or resolve repro.lock by hand"
        )


@dataclass
class MergeResult:
    lock: LockFile
    conflicts: list[str] = field(default_factory=list)  # pipelines changed on both sides


_State = tuple["LockedPipeline | None", "LockConflict | None"]


def merge_locks(base: LockFile, ours: LockFile, theirs: LockFile) -> MergeResult:
    from repro.lineage.lock import LockConflict, LockFile

    pipelines: dict[str, LockedPipeline] = {}
    conflicts: dict[str, LockConflict] = {}
    new: list[str] = []
    names = set(base.pipelines) | set(ours.pipelines) | set(theirs.pipelines)
    names |= set(ours.conflicts) | set(theirs.conflicts)
    for name in sorted(names):
        o, t, b = _state(ours, name), _state(theirs, name), _state(base, name)
        if o == t or t == b:
            entry, conflict = o
        elif o == b:
            entry, conflict = t
        else:
            entry = o[0] if o[0] is not None else t[0]
            conflict = LockConflict(ours=_run(o), theirs=_run(t))
            new.append(name)
        if entry is not None:
            pipelines[name] = entry
        if conflict is not None:
            conflicts[name] = conflict
    return MergeResult(LockFile(pipelines=pipelines, conflicts=conflicts), new)


def _state(lock: LockFile, name: str) -> _State:
    return lock.pipelines.get(name), lock.conflicts.get(name)


def _run(state: _State) -> str | None:
    return state[0].run if state[0] is not None else None


def merge_lock_files(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge the three files Git hands the driver (``%O %A %B``) and write
    the result to ``ours``, atomically."""
    from repro.atomic import write_atomic
    from repro.lineage.lock import dump_lock

    locks = [
        _read(side, path) for side, path in (("base", base), ("ours", ours), ("theirs", theirs))
    ]
    result = merge_locks(*locks)
    write_atomic(ours, dump_lock(result.lock).encode("utf-8"), fsync=True)
    return result


def _read(side: str, path: str) -> LockFile:
    from repro.lineage.lock import LockInvalidError, LockNewerSchemaError, parse_lock

    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise LockMergeInputError(side, path, exc.strerror or str(exc)) from exc
    try:
        return parse_lock(data.decode("utf-8"), path)
    except UnicodeDecodeError as exc:
        raise LockMergeInputError(side, path, "not UTF-8 text") from exc
    except LockInvalidError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise LockMergeInputError(side, path, where + exc.reason) from exc
    except LockNewerSchemaError as exc:
        reason = f"written by a newer repro (schema {exc.schema}); upgrade repro"
        raise LockMergeInputError(side, path, reason) from exc
