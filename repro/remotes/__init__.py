"""Remotes: named object stores (any fsspec URL) that runs are pushed to and
pulled from. The committed config holds only each URL and its storage
options; credentials come from the environment or fsspec's own config.

A remote's layout is the local cache's, one root per hash algorithm, plus
``runs/<run-id>`` files naming each pushed run's record object, so that a
fresh clone can find a run by id::

    <url>/<algorithm>/objects/…  packs/…  runs/<run-id>

In ``.repro/config.toml`` (committed) or ``.repro/config.local.toml``
(this machine only, not committed; the later wins name by name)::

    [core]
    remote = "origin"                         # the default remote

    [remote.origin]
    url = "s3://bucket/store"
    endpoint_url = "http://localhost:9000"    # every other key: a storage option

A plain path given relative (to the current folder) is stored relative to
the project root and resolved against it when opened, so that the committed
config works in every clone; an absolute path or ``~/…`` stays as given.

Calls against a remote run inside ``remote_errors(remote)``, which turns an
unreachable endpoint, refused credentials or a missing bucket, as fsspec,
s3fs, botocore or aiohttp report them, into one ``RemoteError`` each.
"""

from __future__ import annotations

from repro.remotes.errors import (
    InvalidRemoteNameError,
    InvalidRemoteUrlError,
    NoDefaultRemoteError,
    RemoteAccessDeniedError,
    RemoteError,
    RemoteExistsError,
    RemoteNotFoundError,
    RemoteUnreachableError,
    UnknownRemoteError,
)
from repro.remotes.failures import check_remote, remote_errors
from repro.remotes.manage import (
    RemoteInfo,
    add_remote,
    list_remotes,
    remove_remote,
    set_default_remote,
)
from repro.remotes.remote import REMOTE_PACK_SIZE, Remote, get_remote, storage_options

__all__ = [
    "REMOTE_PACK_SIZE",
    "InvalidRemoteNameError",
    "InvalidRemoteUrlError",
    "NoDefaultRemoteError",
    "Remote",
    "RemoteAccessDeniedError",
    "RemoteError",
    "RemoteExistsError",
    "RemoteInfo",
    "RemoteNotFoundError",
    "RemoteUnreachableError",
    "UnknownRemoteError",
    "add_remote",
    "check_remote",
    "get_remote",
    "list_remotes",
    "remote_errors",
    "remove_remote",
    "set_default_remote",
    "storage_options",
]
