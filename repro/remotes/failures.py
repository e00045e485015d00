"""Turning what fsspec, s3fs, botocore or aiohttp raise when a remote is
unreachable, refuses the credentials or lacks its bucket into one
``RemoteError`` each."""

from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from types import TracebackType

from repro.config import url_protocol
from repro.remotes.errors import (
    RemoteAccessDeniedError,
    RemoteError,
    RemoteNotFoundError,
    RemoteUnreachableError,
)
from repro.remotes.remote import Remote

__all__ = ["check_remote", "remote_errors"]

# Stores whose first path component is a bucket (or container).
_BUCKETS = {"s3": "bucket", "s3a": "bucket", "gs": "bucket", "gcs": "bucket"}
_BUCKETS.update(dict.fromkeys(("az", "abfs", "abfss", "adl", "oss", "tos"), "container"))


def _endpoint(remote: Remote) -> str | None:
    found = remote.options.get("endpoint_url") or remote.options.get("client_kwargs", {}).get(
        "endpoint_url"
    )
    return str(found) if found else None


# -- translating failures ---------------------------------------------------


def remote_errors(remote: Remote) -> AbstractContextManager[None]:
    """A block of calls against ``remote`` (``with remote_errors(remote):``)
    whose failures become ``RemoteUnreachableError``,
    ``RemoteAccessDeniedError`` or ``RemoteNotFoundError``; anything else
    passes through unchanged.

    A file that is not found is normal (an existence check); only when the
    bucket or the remote's folder itself is missing, which one probe decides
    after the failure, does it become ``RemoteNotFoundError``. A failure on a
    local file (the cache being written during a pull) is not the remote's."""
    return _RemoteErrors(remote)


class _RemoteErrors(AbstractContextManager[None]):
    def __init__(self, remote: Remote) -> None:
        self.remote = remote

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, Exception) and not isinstance(exc, RemoteError):
            translated = _translate(self.remote, exc)
            if translated is not None:
                raise translated from exc


def _translate(remote: Remote, exc: BaseException) -> RemoteError | None:
    """The ``RemoteError`` that ``exc``, raised by a call against
    ``remote``, stands for; None when it is not one."""
    for link in _chain(exc):
        verdict = _classify(link, remote)
        if verdict == "local":
            return None
        if verdict == "unreachable":
            return RemoteUnreachableError(
                remote.name, remote.url, _network_reason(link), _endpoint(remote)
            )
        if verdict == "denied":
            return RemoteAccessDeniedError(
                remote.name, remote.url, _denied_reason(link), _endpoint(remote)
            )
        if verdict == "no-bucket" or (verdict == "missing" and _container_missing(remote)):
            container, kind = _container(remote)
            return RemoteNotFoundError(remote.name, remote.url, container, kind)
        if verdict == "missing":
            return None
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen and len(seen) < 20:
        seen.add(id(link))
        yield link
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)


_DENIED_CODES = {
    "AccessDenied": "access denied",
    "AllAccessDisabled": "access denied",
    "AccountProblem": "the account has a problem",
    "ExpiredToken": "the session token has expired",
    "InvalidAccessKeyId": "the access key id is not known",
    "InvalidToken": "the session token is not valid",
    "SignatureDoesNotMatch": "the secret key does not match the access key id",
    "RequestTimeTooSkewed": "this machine's clock is too far off",
    "403": "forbidden (wrong credentials, or no permission)",
    "401": "not authenticated",
}
_NO_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}
# Qualified names, so that botocore's ConnectionError is not the builtin one.
_UNREACHABLE = {
    "botocore.exceptions.ConnectionError",
    "aiohttp.client_exceptions.ClientConnectorError",
    "paramiko.ssh_exception.NoValidConnectionsError",
    "azure.core.exceptions.ServiceRequestError",
}
_DENIED = {
    "paramiko.ssh_exception.AuthenticationException",
    "azure.core.exceptions.ClientAuthenticationError",
}
_MISSING = {"azure.core.exceptions.ResourceNotFoundError"}
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED: "connection refused",
    errno.EHOSTUNREACH: "no route to the host",
    errno.ENETUNREACH: "the network is unreachable",
    errno.ETIMEDOUT: "the connection timed out",
    errno.EHOSTDOWN: "the host is down",
}


def _qualified(exc: BaseException) -> set[str]:
    return {f"{cls.__module__}.{cls.__name__}" for cls in type(exc).__mro__}


def _classify(link: BaseException, remote: Remote) -> str | None:
    names = _qualified(link)
    code = _error_code(link)
    if code == "NoSuchBucket":
        return "no-bucket"
    if code in _DENIED_CODES or names & _DENIED:
        return "denied"
    if {name.rpartition(".")[2] for name in names} & _NO_CREDENTIALS:
        return "denied"
    if names & _UNREACHABLE or isinstance(link, ConnectionError | socket.gaierror | TimeoutError):
        return "unreachable"
    if isinstance(link, OSError) and link.errno in _NETWORK_ERRNOS:
        return "unreachable"
    if names & _MISSING or code in ("NoSuchKey", "404"):
        return "missing"
    if isinstance(link, OSError) and not _on_remote(link, remote):
        return "local"
    if isinstance(link, PermissionError):
        return "denied"
    if isinstance(link, FileNotFoundError):
        return "missing"
    return None


def _error_code(exc: BaseException) -> str | None:
    """The service's error code (botocore ``ClientError``) or HTTP status
    (aiohttp, gcsfs), as a string."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    if type(exc).__name__ in ("ClientResponseError", "HttpError"):
        status = getattr(exc, "status", None) or getattr(exc, "code", None)
        return {401: "401", 403: "403", 404: "404"}.get(status) if isinstance(status, int) else None
    return None


def _on_remote(exc: OSError, remote: Remote) -> bool:
    """Whether an error that names a file names one of the remote's."""
    filename = exc.filename
    if not isinstance(filename, str):
        return True  # fsspec's errors rarely name the path; the cache's always do
    if url_protocol(remote.url) == "file":
        root = os.path.abspath(remote.url.removeprefix("file://"))
        return os.path.commonpath([root, os.path.abspath(filename)]) == root
    return not os.path.isabs(filename) or filename.startswith(_remote_path(remote))


def _remote_path(remote: Remote) -> str:
    """The remote's root as its filesystem names paths (``bucket/prefix``,
    ``/srv/store``)."""
    from fsspec.registry import get_filesystem_class

    last = remote.url.rsplit("::", 1)[-1]
    return str(get_filesystem_class(url_protocol(last))._strip_protocol(last))


def _network_reason(exc: BaseException) -> str:
    for link in _chain(exc):
        if isinstance(link, socket.gaierror) or type(link).__name__.endswith("DNSError"):
            return "the host name does not resolve"
        if isinstance(link, OSError) and link.errno in _NETWORK_ERRNOS:
            return _NETWORK_ERRNOS[link.errno]
        if isinstance(link, TimeoutError) or "Timeout" in type(link).__name__:
            return "the connection timed out"
    return _first_line(exc)


def _denied_reason(exc: BaseException) -> str:
    for link in _chain(exc):
        code = _error_code(link)
        if code in _DENIED_CODES:
            return _DENIED_CODES[code] + ("" if code.isdigit() else f" ({code})")
        if type(link).__name__ in _NO_CREDENTIALS:
            return "no credentials found"
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


def _container(remote: Remote) -> tuple[str, str]:
    """The bucket (or container, or folder) that holds the remote's store."""
    protocol = url_protocol(remote.url)
    kind = _BUCKETS.get(protocol)
    if protocol == "file":
        return os.path.abspath(remote.url.removeprefix("file://")), "folder"
    if kind is not None:
        return _remote_path(remote).partition("/")[0], kind
    return _remote_path(remote), "folder"


# The libraries' own error roots that are not OSError, by module.
_LIBRARY_ERRORS = (("botocore.exceptions", "BotoCoreError"), ("aiohttp", "ClientError"))


def _probe_errors() -> tuple[type[BaseException], ...]:
    """What a probe may raise: OSError, and the errors of the libraries in
    use (a library not imported cannot have raised anything)."""
    found: list[type[BaseException]] = [OSError]
    for module, name in _LIBRARY_ERRORS:
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


def _container_missing(remote: Remote) -> bool:
    """Whether the remote's bucket (or folder) is definitely missing: one
    call; any other answer (no access, no network) says nothing."""
    container, _kind = _container(remote)
    if url_protocol(remote.url) == "file":
        return not os.path.isdir(container)
    from repro.store.fs import resolve

    fs, _path = resolve(remote.url, **remote.storage_options())
    try:
        fs.invalidate_cache(container)
        fs.info(container)
    except FileNotFoundError:
        return True
    except _probe_errors():
        return False
    return False


def check_remote(remote: Remote, algorithm: str) -> None:
    """Probe ``remote`` with two cheap calls (its bucket or folder, then a
    listing of its store): raises ``RemoteUnreachableError``,
    ``RemoteAccessDeniedError`` or ``RemoteNotFoundError``."""
    container, kind = _container(remote)
    if url_protocol(remote.url) == "file":
        if not os.path.isdir(container):
            raise RemoteNotFoundError(remote.name, remote.url, container, kind)
        return
    from repro.store.fs import resolve

    with remote_errors(remote):
        fs, _path = resolve(remote.url, **remote.storage_options())
        fs.invalidate_cache(container)
        fs.info(container)
        remote.backend(algorithm).listdir("")
