"""Errors a user causes by pointing a snapshot or checkout at the wrong thing."""

from __future__ import annotations

from repro.errors import ReproError

__all__ = [
    "CheckoutConflictError",
    "ProtectedPathError",
    "SnapshotPathError",
    "SymlinkLoopError",
    "UnreadablePathError",
    "UnsupportedFileError",
]


class SnapshotPathError(ReproError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class PathNotFoundError(SnapshotPathError, FileNotFoundError):
    def __init__(self, path: str) -> None:
        super().__init__(path, "no such file or directory")


class UnreadablePathError(SnapshotPathError, PermissionError):
    def __init__(self, path: str, reason: str = "permission denied") -> None:
        super().__init__(path, f"cannot read it ({reason})")


class SymlinkLoopError(SnapshotPathError):
    def __init__(self, path: str) -> None:
        super().__init__(path, "symbolic link loop")


class BrokenSymlinkError(SnapshotPathError):
    def __init__(self, path: str) -> None:
        super().__init__(path, "symbolic link to a path that does not exist")


class UnsupportedFileError(SnapshotPathError):
    def __init__(self, path: str, kind: str) -> None:
        super().__init__(path, f"is a {kind}; only regular files and folders can be snapshotted")


class ProtectedPathError(SnapshotPathError):
    """A path inside Git's or repro's own folders, or holding the store."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(path, f"is {what}; repro never reads data from or writes data there")


class UnsupportedNameError(SnapshotPathError):
    def __init__(self, path: str) -> None:
        shown = path.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        super().__init__(shown, "file name is not valid UTF-8; rename it to snapshot it")


class CheckoutConflictError(ReproError):
    def __init__(self, dest: str, paths: list[str]) -> None:
        self.dest = dest
        self.paths = paths
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        super().__init__(
            f"checkout would overwrite or delete {len(paths)} file(s) in {dest} whose content "
            f"is not in the store ({shown}); snapshot them first or pass --force"
        )
