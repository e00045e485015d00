"""Errors of remotes: of their configuration, and of a remote store that fails."""

from __future__ import annotations

from repro.config import (
    credential_hint,
    redact_remote_url,
    url_protocol,
)
from repro.errors import ReproError, UsageError
from repro.store.errors import CorruptObjectError

__all__ = [
    "InvalidRemoteNameError",
    "InvalidRemoteUrlError",
    "NoDefaultRemoteError",
    "RemoteAccessDeniedError",
    "RemoteCorruptObjectError",
    "RemoteError",
    "RemoteExistsError",
    "RemoteIndexDamagedError",
    "RemoteNotFoundError",
    "RemoteUnreachableError",
    "UnknownRemoteError",
]

# -- errors of the configuration ------------------------------------------


class UnknownRemoteError(ReproError, LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        names = ", ".join(known) if known else "none is configured"
        super().__init__(
            f"no remote named {name!r} (remotes: {names}); add one with 'repro remote add NAME URL'"
        )


class NoDefaultRemoteError(ReproError):
    def __init__(self) -> None:
        super().__init__(
            "no remote given and no default remote; add one with "
            "'repro remote add --default NAME URL' or pass --remote NAME"
        )


class RemoteExistsError(ReproError, FileExistsError):
    def __init__(self, name: str, url: str, file: str) -> None:
        self.name = name
        self.url = url
        self.file = file
        super().__init__(
            f"remote {name!r} already exists in {file} ({redact_remote_url(url)}); "
            "pass --force to replace it"
        )


class InvalidRemoteNameError(UsageError, ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"{name!r} is not a valid remote name: use letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )


class InvalidRemoteUrlError(UsageError, ValueError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"remote URL {redact_remote_url(url)!r}: {reason}")


# -- errors of a remote store ----------------------------------------------


class RemoteError(ReproError):
    """A remote store failed; ``remote`` is its name, ``url`` its URL."""

    def __init__(self, remote: str, url: str, message: str) -> None:
        self.remote = remote
        self.url = url
        super().__init__(message)


class RemoteUnreachableError(RemoteError, ConnectionError):
    def __init__(self, remote: str, url: str, reason: str, endpoint: str | None = None) -> None:
        self.reason = reason
        self.endpoint = endpoint
        where = _where(url, endpoint)
        setting = "URL and endpoint_url" if endpoint else "URL"
        super().__init__(
            remote,
            url,
            f"cannot reach remote {remote!r} ({where}): {reason}; check the network and the "
            f"remote's {setting} ('repro remote list')",
        )


class RemoteAccessDeniedError(RemoteError, PermissionError):
    def __init__(self, remote: str, url: str, reason: str, endpoint: str | None = None) -> None:
        self.reason = reason
        self.endpoint = endpoint
        protocol = url_protocol(url)
        if protocol == "file":
            todo = "check the folder's permissions"
        else:
            todo = f"give credentials that may use it through {credential_hint(protocol)}"
        super().__init__(
            remote,
            url,
            f"remote {remote!r} ({_where(url, endpoint)}) refused access: {reason}; {todo}",
        )


class RemoteNotFoundError(RemoteError, FileNotFoundError):
    def __init__(self, remote: str, url: str, container: str, kind: str) -> None:
        self.container = container
        self.kind = kind  # "bucket", "container" or "folder"
        super().__init__(
            remote,
            url,
            f"remote {remote!r} ({redact_remote_url(url)}): {kind} {container!r} does not "
            f"exist; create it, or point the remote elsewhere with "
            f"'repro remote add --force {remote} URL'",
        )


def _repair(what: str) -> str:
    """What to do about damaged files on a remote: they are never mended in
    place (objects are never rewritten), so they go and a good copy comes."""
    return (
        f"delete {what} there ('repro fsck --remote' lists every damaged file), then run "
        "'repro push' where the run was made to send a good copy"
    )


class RemoteCorruptObjectError(CorruptObjectError):
    """An object read from a remote whose bytes do not hash to its id: the
    remote's copy is bad, whatever the local cache holds."""

    def __init__(self, oid: str, actual: str, where: str, remote: str) -> None:
        super().__init__(oid, actual, where)
        self.remote = remote
        self.args = (
            f"object {oid} on remote {remote!r} is corrupt: its content hashes to {actual} "
            f"({where}); {_repair('it')}",
        )


class RemoteIndexDamagedError(ReproError):
    """Objects a remote cannot be asked for because a pack index that may
    list them is damaged; ``indexes`` says where each damaged index is."""

    def __init__(self, remote: str, indexes: list[str], count: int) -> None:
        self.remote = remote
        self.indexes = indexes
        self.count = count
        one = len(indexes) == 1
        more = len(indexes) - 3
        shown = ", ".join(indexes[:3]) + (f" and {more} more" if more > 0 else "")
        what = "the pack index" if one else f"{len(indexes)} pack indexes"
        that = "that may list them is" if one else "that may list them are"
        super().__init__(
            f"remote {remote!r}: {count} object(s) cannot be found because {what} {that} damaged "
            f"({shown}); {_repair('it' if one else 'them')}"
        )


def _where(url: str, endpoint: str | None) -> str:
    return redact_remote_url(url) + (f" at {endpoint}" if endpoint else "")
