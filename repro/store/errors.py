"""Errors of the object store; each carries its fields."""

from __future__ import annotations

from repro.errors import ReproError

__all__ = [
    "CorruptObjectError",
    "InvalidOidError",
    "ObjectNotFoundError",
    "StoreFormatError",
    "StoreWriteError",
]


class InvalidOidError(ReproError, ValueError):
    def __init__(self, oid: str, algorithm: str) -> None:
        self.oid = oid
        self.algorithm = algorithm
        super().__init__(f"{oid!r} is not a valid {algorithm} object id")


class ObjectNotFoundError(ReproError, FileNotFoundError):
    def __init__(self, oid: str, store: str) -> None:
        self.oid = oid
        self.store = store
        super().__init__(f"object {oid} is not in the store at {store}")


class CorruptObjectError(ReproError):
    def __init__(self, oid: str, actual: str, where: str) -> None:
        self.oid = oid
        self.actual = actual
        self.where = where
        super().__init__(
            f"object {oid} is corrupt: its content hashes to {actual} ({where}); "
            "run 'repro fsck' and restore it from a remote or re-snapshot the data"
        )


class StoreFormatError(ReproError):
    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}; run 'repro fsck' to see what else is damaged")


class StoreWriteError(ReproError, OSError):
    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"cannot write to the store at {where}: {reason}")
