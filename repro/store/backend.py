"""Where store files live: a local folder (plain ``os`` calls, for speed and
fsync) or any fsspec filesystem. The store above speaks only to this
interface, so the same layout serves the local cache and every remote.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from repro.store.errors import NotAStoreFileError, StoreWriteError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = ["Backend", "FileInfo", "FsspecBackend", "LocalBackend", "PendingWrite", "open_backend"]

READ_ONLY = 0o444
_WRITE_BUFFER = 1 << 20


@dataclass(frozen=True)
class FileInfo:
    size: int
    modified: float | None  # seconds since the epoch, where the backend knows it


class PendingWrite(ABC):
    """A file being written whose final name is known only at the end."""

    @abstractmethod
    def write(self, chunk: bytes | memoryview) -> None: ...

    @abstractmethod
    def commit(self, path: str) -> None:
        """Make the bytes visible at ``path`` atomically. Paths are content
        addresses, so a file already there holds the same bytes."""

    @abstractmethod
    def abort(self) -> None: ...


class Backend(ABC):
    """Primitives over one root folder; every path is relative to it."""

    root: str

    @abstractmethod
    def exists(self, path: str) -> bool: ...

    @abstractmethod
    def read_bytes(self, path: str) -> bytes: ...

    @abstractmethod
    def read_range(self, path: str, offset: int, length: int) -> bytes: ...

    @abstractmethod
    def open_read(self, path: str) -> IO[bytes]: ...

    @abstractmethod
    def begin_write(self, directory: str) -> PendingWrite: ...

    @abstractmethod
    def listdir(self, directory: str) -> list[str]:
        """Names in ``directory``; empty when it does not exist."""

    @abstractmethod
    def remove(self, path: str) -> None: ...

    @abstractmethod
    def size(self, path: str) -> int: ...

    @abstractmethod
    def list_files(self, directory: str) -> dict[str, FileInfo]:
        """Every file under ``directory``, at any depth, by path relative to
        the root: one listing (paged by the service) instead of a request
        per file. Empty when the folder does not exist."""

    def local_path(self, path: str) -> str | None:
        """A filesystem path for linking, where the backend has one."""
        return None

    def touch(self, path: str) -> None:
        """Mark an existing file as just used, so that a gc's grace period
        spares a pack whose object a writer found already there (as Git
        freshens what it would have written). Loose objects are not touched:
        a checkout hard-links them, and their mtime is the work tree file's.
        Remote stores cannot do it cheaply; their gc relies on the grace
        period alone."""
        return

    def write_atomic(self, path: str, chunks: Iterable[bytes | memoryview]) -> None:
        pending = self.begin_write(os.path.dirname(path))
        try:
            for chunk in chunks:
                pending.write(chunk)
        except BaseException:
            pending.abort()
            raise
        pending.commit(path)


def _write_error(where: str, exc: OSError) -> StoreWriteError:
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device"
    return StoreWriteError(where, reason)


def _create_temp(directory: str) -> tuple[int, str]:
    """A new private file in ``directory`` (``tempfile.mkstemp`` without the
    import cost it adds to every command)."""
    while True:
        path = os.path.join(directory, f".tmp-{os.urandom(8).hex()}")
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), path
        except FileExistsError:
            continue


class _LocalPendingWrite(PendingWrite):
    def __init__(self, backend: LocalBackend, directory: str) -> None:
        self._backend = backend
        full_dir = backend.full(directory)
        try:
            os.makedirs(full_dir, exist_ok=True)
            fd, self._tmp = _create_temp(full_dir)
        except OSError as exc:
            raise _write_error(full_dir, exc) from exc
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._buffer = bytearray()

    def write(self, chunk: bytes | memoryview) -> None:
        # A pack receives thousands of small objects: gather them so that the
        # disk sees a few large writes instead of one system call per object.
        if len(chunk) >= _WRITE_BUFFER:
            self._flush()
            self._write_all(chunk)
            return
        self._buffer += chunk
        if len(self._buffer) >= _WRITE_BUFFER:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._write_all(self._buffer)
            self._buffer = bytearray()

    def _write_all(self, chunk: bytes | memoryview | bytearray) -> None:
        # A write may be short (a nearly full disk writes what fits and reports
        # no error); loop so the next write raises ENOSPC instead of a
        # truncated file being committed under the full content's id.
        view = memoryview(chunk).cast("B")
        try:
            while view:
                view = view[self._file.write(view) :]
        except OSError as exc:
            self.abort()
            raise _write_error(self._tmp, exc) from exc

    def commit(self, path: str) -> None:
        self._flush()
        final = self._backend.full(path)
        try:
            if self._backend.fsync:
                os.fsync(self._file.fileno())
            os.fchmod(self._file.fileno(), READ_ONLY)
            self._file.close()
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.replace(self._tmp, final)
        except OSError as exc:
            self.abort()
            raise _write_error(final, exc) from exc

    def abort(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp)


class LocalBackend(Backend):
    """A folder on this machine: temp file, fsync, chmod read-only, rename."""

    def __init__(self, root: str, *, fsync: bool = True) -> None:
        self.root = os.path.abspath(root)
        self.fsync = fsync

    def full(self, path: str) -> str:
        return os.path.join(self.root, path)

    def exists(self, path: str) -> bool:
        return os.path.exists(self.full(path))

    def read_bytes(self, path: str) -> bytes:
        with self.open_read(path) as file:
            return file.read()

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        with self.open_read(path) as file:
            size = os.fstat(file.fileno()).st_size
            if offset < 0 or length < 0 or offset + length > size:
                raise NotAStoreFileError(self.full(path), f"no bytes {offset}+{length} in it")
            return os.pread(file.fileno(), length, offset)

    def open_read(self, path: str) -> IO[bytes]:
        # A store holds regular files only: whoever can write to a shared
        # folder remote could put a link to /dev/zero (an endless read) there.
        file = open(self.full(path), "rb")  # noqa: SIM115 (the caller closes it)
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            file.close()
            raise NotAStoreFileError(self.full(path), "it is not a regular file")
        return file

    def begin_write(self, directory: str) -> PendingWrite:
        return _LocalPendingWrite(self, directory)

    def listdir(self, directory: str) -> list[str]:
        try:
            return os.listdir(self.full(directory))
        except FileNotFoundError:
            return []

    def remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.full(path))

    def size(self, path: str) -> int:
        return os.stat(self.full(path)).st_size

    def list_files(self, directory: str) -> dict[str, FileInfo]:
        found = {}
        top = self.full(directory)
        for folder, _dirs, names in os.walk(top):
            for name in names:
                full = os.path.join(folder, name)
                try:
                    stat = os.stat(full)
                except FileNotFoundError:  # removed while we walked
                    continue
                found[os.path.relpath(full, self.root)] = FileInfo(stat.st_size, stat.st_mtime)
        return found

    def local_path(self, path: str) -> str | None:
        return self.full(path)

    def touch(self, path: str) -> None:
        with contextlib.suppress(OSError):
            os.utime(self.full(path))


class _FsspecPendingWrite(PendingWrite):
    """Spools locally, then uploads. An object store (S3, GCS, Azure,
    memory) makes an upload visible only once it is complete, so it goes
    straight to its name; any other filesystem gets a ``.tmp-`` name beside
    the target and a move, so that no reader sees a partial object under a
    valid name and ``fsck`` finds what a failed upload left."""

    def __init__(self, backend: FsspecBackend) -> None:
        self._backend = backend
        import tempfile

        self._spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 (closed by commit/abort)

    def write(self, chunk: bytes | memoryview) -> None:
        self._spool.write(chunk)

    def commit(self, path: str) -> None:
        backend, full = self._backend, self._backend.full(path)
        self._spool.seek(0)
        try:
            if backend.in_memory:
                backend.fs.pipe_file(full, self._spool.read())
            elif backend.atomic_upload:
                self._upload_or_discard(full)
            elif not backend.fs.exists(full):
                fs = backend.fs
                fs.makedirs(fs._parent(full), exist_ok=True)
                tmp = f"{fs._parent(full)}/.tmp-{os.urandom(8).hex()}"
                with fs.open(tmp, "wb") as out:
                    self._copy_spool(out)
                fs.mv(tmp, full)
        except OSError as exc:
            raise _write_error(full, exc) from exc
        finally:
            self._spool.close()

    def _upload_or_discard(self, full: str) -> None:
        """Closing an upload is what makes it visible: an upload cut short
        (an error, Ctrl-C) must be discarded, never closed, or its first
        part would appear under the full object's id."""
        out = self._backend.fs.open(full, "wb")
        try:
            self._copy_spool(out)
        except BaseException:
            discard = getattr(out, "discard", None)
            if callable(discard):
                discard()
            # Neither close() nor the finalizer may now commit the part written.
            out.closed = True
            raise
        out.close()

    def _copy_spool(self, out: IO[bytes]) -> None:
        for block in iter(lambda: self._spool.read(8 << 20), b""):
            out.write(block)

    def abort(self) -> None:
        self._spool.close()


# Filesystems whose uploads appear whole or not at all.
_ATOMIC_UPLOADS = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"}


class FsspecBackend(Backend):
    def __init__(self, fs: AbstractFileSystem, root: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        protocols = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
        self.atomic_upload = bool(_ATOMIC_UPLOADS.intersection(protocols))
        # Its files commit when closed or collected: whole writes only.
        self.in_memory = "memory" in protocols

    def full(self, path: str) -> str:
        return f"{self.root}/{path}" if path else self.root

    def exists(self, path: str) -> bool:
        # fsspec remembers listings for the life of the process: another
        # writer (a push, a gc) may have changed the store since.
        self.fs.invalidate_cache(self.full(path))
        return bool(self.fs.exists(self.full(path)))

    def read_bytes(self, path: str) -> bytes:
        return bytes(self.fs.cat_file(self.full(path)))

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        return bytes(self.fs.cat_file(self.full(path), start=offset, end=offset + length))

    def open_read(self, path: str) -> IO[bytes]:
        file: IO[bytes] = self.fs.open(self.full(path), "rb")
        return file

    def begin_write(self, directory: str) -> PendingWrite:
        return _FsspecPendingWrite(self)

    def listdir(self, directory: str) -> list[str]:
        full = self.full(directory)
        self.fs.invalidate_cache(full)
        try:
            listing = self.fs.ls(full, detail=False)
        except FileNotFoundError:
            return []
        return [str(entry).rstrip("/").rsplit("/", 1)[-1] for entry in listing]

    def remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.full(path))

    def size(self, path: str) -> int:
        return int(self.fs.size(self.full(path)))

    def list_files(self, directory: str) -> dict[str, FileInfo]:
        full = self.full(directory)
        self.fs.invalidate_cache(full)
        try:
            listing: dict[str, dict[str, Any]] = self.fs.find(full, detail=True)
        except FileNotFoundError:
            return {}
        prefix = len(self.fs._strip_protocol(self.root).rstrip("/")) + 1
        return {
            self.fs._strip_protocol(path)[prefix:]: FileInfo(
                int(info.get("size") or 0), _mtime(info)
            )
            for path, info in listing.items()
            if info.get("type", "file") == "file"
        }


def _mtime(info: dict[str, Any]) -> float | None:
    """The modification time of an fsspec listing entry: each filesystem
    names it differently (S3 ``LastModified``, local ``mtime``, GCS
    ``updated``)."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, int | float):
            return float(value)
        from datetime import datetime

        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def open_backend(url: str, *, fsync: bool = True, **options: object) -> Backend:
    """A backend for a local path or any fsspec URL (``options`` are the
    filesystem's storage options: an S3 endpoint, a region)."""
    if "://" not in url or url.startswith("file://"):
        return LocalBackend(url.removeprefix("file://"), fsync=fsync)
    from repro.store.fs import is_local, resolve

    fs, path = resolve(url, **options)
    if is_local(fs):
        return LocalBackend(path, fsync=fsync)
    return FsspecBackend(fs, path)


def iter_chunks(file: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    return iter(lambda: file.read(size), b"")
