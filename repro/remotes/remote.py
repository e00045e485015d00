"""Opening a remote by name: its store, with storage options that make a
remote that is down fail in seconds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from repro.config import (
    Config,
    url_protocol,
)
from repro.remotes.errors import NoDefaultRemoteError, UnknownRemoteError
from repro.store import Backend, ObjectStore, open_backend

__all__ = ["REMOTE_PACK_SIZE", "Remote", "get_remote", "storage_options"]

# Smaller than a local pack: several upload side by side, and an interrupted
# push loses at most one pack's worth of work.
REMOTE_PACK_SIZE = 32 << 20
# botocore's defaults (60 s to connect, five attempts) make a remote that is
# down take minutes to say so; these apply where the user set nothing.
_S3_FAIL_FAST = {"connect_timeout": 5, "retries": {"max_attempts": 3, "mode": "standard"}}


@dataclass(frozen=True)
class Remote:
    name: str
    url: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def storage_options(self) -> dict[str, Any]:
        """The filesystem options the remote is opened with."""
        return storage_options(self.url, self.options)

    def backend(self, algorithm: str) -> Backend:
        return open_backend(f"{self.url.rstrip('/')}/{algorithm}", **self.storage_options())

    def store(
        self, algorithm: str, *, index_cache: str | None = None, skip_damaged: bool = False
    ) -> ObjectStore:
        return ObjectStore(
            self.backend(algorithm),
            algorithm,
            pack_size=REMOTE_PACK_SIZE,
            index_cache=index_cache,
            skip_damaged=skip_damaged,
        )


def get_remote(config: Config, name: str | None = None) -> Remote:
    """The remote called ``name``, or the default one."""
    if name is None:
        name = config.core.remote
        if name is None:
            if len(config.remotes) == 1:
                name = next(iter(config.remotes))
            else:
                raise NoDefaultRemoteError()
    found = config.remotes.get(name)
    if found is None:
        raise UnknownRemoteError(name, sorted(config.remotes))
    return Remote(found.name, found.location, dict(found.options))


def storage_options(url: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` plus the defaults that make an S3 remote that is down
    fail in seconds (what the user set wins)."""
    if "::" in url or url_protocol(url) not in ("s3", "s3a"):
        return dict(options)
    config_kwargs = {**_S3_FAIL_FAST, **options.get("config_kwargs", {})}
    return {**options, "config_kwargs": config_kwargs}
