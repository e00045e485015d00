"""Errors of the object store; each carries its fields."""

from __future__ import annotations

from repro.errors import ReproError

__all__ = [
    "AmbiguousOidPrefixError",
    "CorruptObjectError",
    "InvalidOidError",
    "InvalidOidPrefixError",
    "NotAStoreFileError",
    "ObjectNotFoundError",
    "StoreFormatError",
    "StoreWriteError",
    "UnknownOidPrefixError",
]


class InvalidOidError(ReproError, ValueError):
    def __init__(self, oid: str, algorithm: str) -> None:
        self.oid = oid
        self.algorithm = algorithm
        super().__init__(f"{oid!r} is not a valid {algorithm} object id")


class InvalidOidPrefixError(InvalidOidError):
    """Neither an object id nor an abbreviation of one."""

    def __init__(self, text: str, algorithm: str, reason: str) -> None:
        super().__init__(text, algorithm)
        self.reason = reason
        self.args = (
            f"{text!r} is not a valid {algorithm} object id, nor a prefix of one: {reason}",
        )


class ObjectNotFoundError(ReproError, FileNotFoundError):
    def __init__(self, oid: str, store: str) -> None:
        self.oid = oid
        self.store = store
        super().__init__(f"object {oid} is not in the store at {store}")


class UnknownOidPrefixError(ObjectNotFoundError):
    def __init__(self, prefix: str, store: str) -> None:
        super().__init__(prefix, store)
        self.args = (
            f"no object in the store at {store} has an id starting with {prefix} "
            "(pull it from a remote, or check the id)",
        )


class AmbiguousOidPrefixError(ReproError, LookupError):
    def __init__(self, prefix: str, count: int) -> None:
        self.prefix = prefix
        self.count = count
        super().__init__(
            f"object id prefix {prefix} is ambiguous: {count} objects start with it; "
            "give more digits"
        )


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


class NotAStoreFileError(ReproError, OSError):
    """A file of a store that no store writes (a device, a lying range)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path} is not a store file: {reason} (run `repro fsck`)")


class StoreWriteError(ReproError, OSError):
    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"cannot write to the store at {where}: {reason}")
