"""Opening a remote by name: its store, with storage options that make a
remote that is down fail in seconds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from repro.config import (
    Config,
    redact_remote_url,
    url_protocol,
)
from repro.remotes.errors import (
    NoDefaultRemoteError,
    RemoteCorruptObjectError,
    RemoteIndexDamagedError,
    UnknownRemoteError,
)
from repro.store import Backend, CorruptObjectError, ObjectStore, open_backend
from repro.store.objects import Location, LooseLocation
from repro.store.pack import PACK_DIR

__all__ = ["REMOTE_PACK_SIZE", "Remote", "RemoteStore", "get_remote", "storage_options"]

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
    ) -> RemoteStore:
        return RemoteStore(
            self,
            self.backend(algorithm),
            algorithm,
            pack_size=REMOTE_PACK_SIZE,
            index_cache=index_cache,
            skip_damaged=skip_damaged,
        )


class RemoteStore(ObjectStore):
    """A remote's object store: damage found in it is reported as the
    remote's, naming the remote and the damaged file, so that nobody is sent
    to mend the local cache (or to push objects the remote already holds)."""

    def __init__(self, remote: Remote, backend: Backend, algorithm: str, **options: Any) -> None:
        super().__init__(backend, algorithm, **options)
        self.remote = remote
        self._root = f"{redact_remote_url(remote.url).rstrip('/')}/{self.algorithm.name}"

    def place(self, path: str) -> str:
        """Where a store file is, as the user knows the remote."""
        return f"{self._root}/{path}"

    def check(self, oid: str, data: bytes | memoryview, location: Location | None = None) -> None:
        try:
            super().check(oid, data, location)
        except CorruptObjectError as exc:
            raise self._corrupt(exc, location) from None

    def read_chunks(self, oid: str, *, verify: bool = True) -> Iterator[bytes]:
        try:
            yield from super().read_chunks(oid, verify=verify)
        except RemoteCorruptObjectError:
            raise
        except CorruptObjectError as exc:  # a loose object, checked as it streamed
            raise self._corrupt(exc, LooseLocation(self.loose_path(oid))) from None

    def _corrupt(self, exc: CorruptObjectError, location: Location | None) -> CorruptObjectError:
        if isinstance(location, LooseLocation):
            where = self.place(location.path)
        elif location is not None:
            where = f"{self.place(location.pack_path)} at offset {location.offset}"
        else:
            where = self._root
        return RemoteCorruptObjectError(exc.oid, exc.actual, where, self.remote.name)

    def locate_many(self, oids: Iterable[str]) -> dict[str, Location]:
        """As the store's; but with ``skip_damaged``, a damaged index hides
        the objects it lists, and objects not found are then said to be
        behind it, not missing (what transfers ask before moving objects)."""
        wanted = set(oids)
        found = super().locate_many(wanted)
        self._refuse_damaged(len(wanted - found.keys()))
        return found

    def _refuse_damaged(self, unfound: int) -> None:
        if unfound and self.damaged:
            indexes = [self.place(f"{PACK_DIR}/{pack}.idx") for pack in sorted(self.damaged)]
            raise RemoteIndexDamagedError(self.remote.name, indexes, unfound)


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
