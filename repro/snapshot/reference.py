"""Reference snapshots of an fsspec URL: each object's path, size, ETag and
version id, recorded without copying a byte of it.

The manifest (``repro.reference/v1``, canonical JSON, entries sorted by
path, no timestamps) is one small blob in the store; its id stands for the
data in cache keys and records, so a changed size, ETag or version changes
it. A run, or a replay, downloads the objects into its own scratch folder:
at the recorded version ids where the bucket is versioned (s3fs
``version_aware``); where it is not, an object whose ETag or size no longer
matches fails the fetch, and the error names every such object.

Each downloaded object is checked against its recorded size and ETag (the
ETag the server reports for what is read: s3fs reads with ``If-Match``, so
the bytes belong to it). Where the ETag is a plain MD5 (32 hex digits, a
single-part upload) the MD5 of the bytes must equal it too. A multipart
ETag (``<hex>-<parts>``) cannot be recomputed without the part sizes, and
the ETag of an SSE-KMS or SSE-C object looks like an MD5 but is not one
(asked of the server only when the MD5 differs): for those, size and the
server's ETag are the check.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Final, Literal, NamedTuple

from repro.errors import ReproError
from repro.hashing import CanonicalizationError, canonical_dumps, canonical_loads
from repro.safepaths import UnsafePathError, check_relative
from repro.snapshot.errors import UnreadablePathError
from repro.snapshot.remote import find_objects
from repro.snapshot.walk import IGNORED_NAMES
from repro.store import ObjectNotFoundError, ObjectStore
from repro.store.backend import iter_chunks
from repro.store.fs import resolve

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = [
    "REFERENCE_FORMAT",
    "DatasetMovedOnError",
    "InvalidManifestError",
    "ManifestNotFoundError",
    "ReferenceEntry",
    "ReferenceManifest",
    "UnreferenceableObjectError",
    "etag_is_content_md5",
    "fetch_reference",
    "list_reference",
    "read_manifest",
]

REFERENCE_FORMAT: Final = "repro.reference/v1"
SHOWN_OBJECTS: Final = 5  # objects an error names before "and N more"
# Protocols whose filesystems take ``version_aware`` and ``open(version_id=)``.
_VERSIONED_PROTOCOLS: Final = frozenset({"s3", "s3a"})
_FETCH_THREADS: Final = 16
_MD5 = re.compile(r"[0-9a-f]{32}")

ManifestKind = Literal["file", "folder"]


class InvalidManifestError(ReproError, ValueError):
    def __init__(self, reason: str, oid: str | None = None) -> None:
        self.reason = reason
        self.oid = oid
        where = f"object {oid} " if oid else ""
        super().__init__(f"{where}is not a valid reference manifest: {reason}")


class ManifestNotFoundError(ObjectNotFoundError):
    def __init__(self, oid: str, store: str) -> None:
        super().__init__(oid, store)
        self.args = (
            f"reference manifest {oid} is not in the store at {store} (pull the run first)",
        )


class UnreferenceableObjectError(ReproError, ValueError):
    def __init__(self, url: str, path: str) -> None:
        self.url = url
        self.path = path
        super().__init__(
            f"{url}: the store reports neither a size and ETag nor a version id for {path!r}, "
            "so a reference could not tell when it changes; use mode='copy'"
        )


class DatasetMovedOnError(ReproError, FileNotFoundError):
    """Objects of a reference dataset are no longer as recorded and the
    recorded versions cannot be read back."""

    def __init__(self, url: str, problems: Mapping[str, str]) -> None:
        self.url = url
        self.problems = dict(sorted(problems.items()))
        shown = [f"{path} ({why})" for path, why in list(self.problems.items())[:SHOWN_OBJECTS]]
        more = len(self.problems) - len(shown)
        listed = ", ".join(shown) + (f" and {more} more" if more else "")
        super().__init__(
            f"dataset {url} moved on since the run recorded it; {len(self.problems)} "
            f"object(s) changed or gone: {listed}. Restore them, or run again to record the "
            "current data (only a versioned bucket keeps the recorded objects)"
        )


class ReferenceEntry(NamedTuple):
    """One object, by its path relative to the dataset's root (its name,
    for a dataset that is a single object)."""

    path: str
    size: int
    etag: str | None  # without the quotes HTTP puts around it
    version: str | None  # None where the bucket keeps no versions


@dataclass(frozen=True)
class ReferenceManifest:
    kind: ManifestKind  # "file": the URL names one object
    entries: tuple[ReferenceEntry, ...]

    @classmethod
    def build(cls, kind: ManifestKind, entries: Iterable[ReferenceEntry]) -> ReferenceManifest:
        ordered = tuple(sorted(entries, key=lambda entry: entry.path))
        _check_entries(kind, ordered)
        return cls(kind, ordered)

    @property
    def files(self) -> int:
        return len(self.entries)

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.entries)

    def to_bytes(self) -> bytes:
        rows = [entry._asdict() for entry in self.entries]
        return canonical_dumps({"entries": rows, "format": REFERENCE_FORMAT, "kind": self.kind})

    @classmethod
    def from_bytes(cls, data: bytes, oid: str | None = None) -> ReferenceManifest:
        try:
            doc = canonical_loads(data)
        except CanonicalizationError as exc:
            raise InvalidManifestError(exc.reason, oid) from exc
        if not isinstance(doc, dict) or doc.get("format") != REFERENCE_FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else None
            reason = f"unknown format {found!r} (upgrade repro)" if found else "not a manifest"
            raise InvalidManifestError(reason, oid)
        try:
            manifest = cls.build(doc["kind"], [_parse_entry(row) for row in doc["entries"]])
        except InvalidManifestError as exc:
            raise InvalidManifestError(exc.reason, oid) from exc
        except (KeyError, TypeError) as exc:
            raise InvalidManifestError(f"malformed ({exc})", oid) from exc
        if manifest.to_bytes() != data:
            raise InvalidManifestError("not in canonical form", oid)
        return manifest


def _parse_entry(row: Any) -> ReferenceEntry:
    if not isinstance(row, dict) or set(row) != set(ReferenceEntry._fields):
        raise InvalidManifestError(f"bad entry {row!r}")
    entry = ReferenceEntry(**row)
    optional_text = all(value is None or isinstance(value, str) for value in entry[2:])
    if not isinstance(entry.path, str) or type(entry.size) is not int or not optional_text:
        raise InvalidManifestError(f"bad entry {row!r}")
    return entry


def _check_entries(kind: str, entries: tuple[ReferenceEntry, ...]) -> None:
    if kind not in ("file", "folder") or (kind == "file" and len(entries) != 1):
        raise InvalidManifestError(f"bad kind {kind!r} for {len(entries)} object(s)")
    if len({entry.path for entry in entries}) != len(entries):
        raise InvalidManifestError("a path is listed twice")
    for entry in entries:
        # A manifest may come from an untrusted remote: no path may lead out
        # of the folder the objects are downloaded into.
        try:
            check_relative(entry.path, "file", control=True)
        except UnsafePathError as exc:
            raise InvalidManifestError(f"bad path {entry.path!r}: {exc.reason}") from None
        if entry.size < 0:
            raise InvalidManifestError(f"bad entry for {entry.path!r}")


def read_manifest(store: ObjectStore, oid: str) -> ReferenceManifest:
    try:
        data = store.read(oid)
    except ObjectNotFoundError as exc:
        raise ManifestNotFoundError(oid, store.backend.root) from exc
    return ReferenceManifest.from_bytes(data, oid)


def _open(url: str) -> tuple[AbstractFileSystem, str]:
    protocol = url.split("://", 1)[0]
    options = {"version_aware": True} if protocol in _VERSIONED_PROTOCOLS else {}
    fs, root = resolve(url, **options)
    # fsspec shares one instance per URL options in a process: its listings
    # must not outlive the run that made them.
    fs.invalidate_cache()
    return fs, root


def list_reference(url: str) -> ReferenceManifest:
    """The manifest of what ``url`` holds now: one listing, no object read."""
    fs, root = _open(url)
    found = find_objects(fs, root, url)
    base = root.rstrip("/")
    kind: ManifestKind = "file" if list(found) == [base] else "folder"
    entries = []
    for path, info in found.items():
        name = base.rsplit("/", 1)[-1] if kind == "file" else path[len(base) + 1 :]
        # A key ending in "/" is a folder marker (the S3 console makes them).
        if not name or name.endswith("/") or IGNORED_NAMES.intersection(name.split("/")):
            continue
        entries.append(_entry(url, name, info))
    return ReferenceManifest.build(kind, entries)


def _entry(url: str, name: str, info: Mapping[str, Any]) -> ReferenceEntry:
    etag = info.get("ETag", info.get("etag"))
    version = info.get("VersionId")
    version = None if version in (None, "", "null") else str(version)
    size = info.get("size")
    if type(size) is not int or (etag is None and version is None):
        raise UnreferenceableObjectError(url, name)
    return ReferenceEntry(name, size, str(etag).strip('"') if etag else None, version)


def fetch_reference(url: str, manifest: ReferenceManifest, dest: str) -> None:
    """Download every object of ``manifest`` from ``url`` into ``dest`` (a
    fresh scratch folder), each checked; every object that moved on is
    named in one ``DatasetMovedOnError``."""
    fs, root = _open(url)
    base = root.rstrip("/")
    os.makedirs(dest, exist_ok=True)  # a folder of folder markers only is empty, not absent

    def fetch(entry: ReferenceEntry) -> tuple[str, str | None]:
        remote = base if manifest.kind == "file" else f"{base}/{entry.path}"
        return entry.path, _fetch_one(fs, remote, entry, os.path.join(dest, entry.path))

    threads = max(1, min(_FETCH_THREADS, len(manifest.entries)))
    with ThreadPoolExecutor(threads, thread_name_prefix="repro-fetch") as pool:
        results = list(pool.map(fetch, manifest.entries))
    problems = {path: why for path, why in results if why is not None}
    if problems:
        raise DatasetMovedOnError(url, problems)


def _fetch_one(
    fs: AbstractFileSystem, remote: str, entry: ReferenceEntry, target: str
) -> str | None:
    """Download one object; None, or what is wrong with it."""
    options = {"version_id": entry.version} if entry.version else {}
    try:
        with fs.open(remote, "rb", **options) as file:
            now = (getattr(file, "details", None) or {}).get("ETag")
            if entry.etag and now and str(now).strip('"') != entry.etag:
                return "changed"
            size, md5 = _download(file, target)
    except FileNotFoundError:
        return f"version {entry.version} is gone" if entry.version else "deleted"
    except OSError as exc:
        # s3fs reads with If-Match and says EBUSY (FileExpired) when it fails.
        if exc.errno == errno.EBUSY:
            return "changed while it was read"
        raise UnreadablePathError(remote, str(exc)) from exc
    if size != entry.size:
        return f"{size} bytes, recorded {entry.size}"
    # The server is asked only when the bytes disagree with an MD5-like ETag.
    mismatch = entry.etag is not None and md5 != entry.etag and _MD5.fullmatch(entry.etag)
    if mismatch and etag_is_content_md5(entry.etag or "", _head(fs, remote, entry.version)):
        return "its bytes do not match its ETag"
    return None


def _download(file: IO[bytes], target: str) -> tuple[int, str]:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(target, "wb") as out:
        for chunk in iter_chunks(file):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def _head(fs: AbstractFileSystem, remote: str, version: str | None) -> Mapping[str, Any]:
    """The object's S3 headers (only asked when its MD5 differs)."""
    call = getattr(fs, "call_s3", None)
    if call is None:
        return {}
    bucket, key, _ = fs.split_path(remote)
    extra = {"VersionId": version} if version else {}
    try:
        head: Mapping[str, Any] = call("head_object", Bucket=bucket, Key=key, **extra)
    except OSError as exc:
        raise UnreadablePathError(remote, str(exc)) from exc
    return head


def etag_is_content_md5(etag: str, head: Mapping[str, Any]) -> bool:
    """Whether ``etag`` is the MD5 of the object's bytes: a plain 32-hex ETag,
    unless S3 says the object is encrypted with KMS or a customer key, whose
    ETags are not MD5s."""
    if not _MD5.fullmatch(etag):
        return False
    encryption = str(head.get("ServerSideEncryption") or "")
    return not encryption.startswith("aws:kms") and not head.get("SSECustomerAlgorithm")
