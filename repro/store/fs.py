"""The one place fsspec is resolved: a URL or path becomes ``(fs, path)``.

Backends are imported lazily by fsspec itself; a missing extra (s3fs for
``s3://``) fails with the package to install instead of an ImportError.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from repro.errors import ReproError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = ["MissingFilesystemError", "is_local", "resolve"]


class MissingFilesystemError(ReproError, ImportError):
    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        super().__init__(f"cannot open {url!r}: {detail}")


def resolve(url: str, **options: object) -> tuple[AbstractFileSystem, str]:
    """The filesystem and the path within it that ``url`` names."""
    from fsspec.core import url_to_fs

    try:
        fs, path = url_to_fs(url, **options)
    except (ImportError, ValueError) as exc:
        raise MissingFilesystemError(url, str(exc).splitlines()[0]) from exc
    return fs, path


def is_local(fs: AbstractFileSystem) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)
