"""Trees: the flat, canonical manifest of a folder (like a DVC ``.dir``).

A tree lists every file by relative POSIX path with its blob id, size and
executable bit, sorted by path, so its id depends only on the content and
never on the order files were listed in. Paths are validated when a tree is
built or read, so a tree from an untrusted remote cannot name a file outside
the folder it is checked out into.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from repro.errors import ReproError
from repro.hashing import (
    CanonicalizationError,
    UnknownAlgorithmError,
    canonical_loads,
    get_algorithm,
)
from repro.safepaths import UnsafePathError, check_relative

__all__ = [
    "TREE_FORMAT",
    "InvalidTreeError",
    "Tree",
    "TreeEntry",
    "manifest_bytes",
    "rows_fragment",
]

TREE_FORMAT = "repro.tree/v1"


class InvalidTreeError(ReproError, ValueError):
    def __init__(self, reason: str, oid: str | None = None) -> None:
        self.reason = reason
        self.oid = oid
        where = f"object {oid} " if oid else ""
        super().__init__(f"{where}is not a valid tree: {reason}")


class TreeEntry(NamedTuple):
    """One file of a tree. A named tuple, not a dataclass: a 100,000-file
    tree builds, sorts and serializes 100,000 of them on every snapshot."""

    path: str
    oid: str
    size: int
    executable: bool = False


def check_path(path: str) -> None:
    # A file's name may hold any character its file system allows but NUL;
    # it is printed escaped.
    try:
        check_relative(path, "file", control=True)
    except UnsafePathError as exc:
        raise InvalidTreeError(f"bad path {path!r}: {exc.reason}") from None
    if any(part in ("", ".") for part in path.split("/")):
        raise InvalidTreeError(f"bad path {path!r}: it is not in canonical form")


@dataclass(frozen=True)
class Tree:
    algorithm: str
    entries: tuple[TreeEntry, ...]

    @classmethod
    def build(cls, algorithm: str, entries: Iterable[TreeEntry], *, check: bool = True) -> Tree:
        """A tree of ``entries`` in any order. ``check=False`` is for entries
        this process made from a directory walk, which are valid by making."""
        ordered = tuple(sorted(entries))  # paths are unique, so this orders by path
        if check:
            _check_entries(algorithm, ordered)
        return cls(algorithm, ordered)

    @cached_property
    def size(self) -> int:
        return sum(entry.size for entry in self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def to_bytes(self) -> bytes:
        return manifest_bytes(self.algorithm, [rows_fragment(self.entries)])

    @property
    def oid(self) -> str:
        return get_algorithm(self.algorithm).hexdigest(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, oid: str | None = None) -> Tree:
        try:
            doc = canonical_loads(data)
        except CanonicalizationError as exc:
            raise InvalidTreeError(f"not a tree manifest ({exc.reason})", oid) from exc
        if not isinstance(doc, dict) or doc.get("format") != TREE_FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else None
            reason = f"unknown format {found!r} (upgrade repro?)" if found else "not a tree"
            raise InvalidTreeError(reason, oid)
        try:
            tree = cls.build(doc["algorithm"], [_entry(row) for row in doc["entries"]])
        except InvalidTreeError as exc:
            raise InvalidTreeError(exc.reason, oid) from exc
        except UnknownAlgorithmError as exc:
            raise InvalidTreeError(str(exc), oid) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidTreeError(f"malformed entries ({exc})", oid) from exc
        if tree.to_bytes() != data:
            # One content, one id: a manifest that is valid but not canonical
            # would give the same files a second tree id.
            raise InvalidTreeError("manifest is not in canonical form", oid)
        return tree

    def as_dict(self) -> dict[str, TreeEntry]:
        return {entry.path: entry for entry in self.entries}


def rows_fragment(rows: Sequence[Sequence[object]]) -> str:
    """The JSON of ``rows`` (path, oid, size, executable; in path order)
    without the enclosing brackets. Fragments of consecutive runs of a tree,
    joined by ``manifest_bytes``, give the same bytes as the whole tree: so
    worker processes can each serialize their own run."""
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)[1:-1]


def manifest_bytes(algorithm: str, fragments: Iterable[str]) -> bytes:
    # Hand-built rather than through canonical_dumps: a 100,000-file tree
    # must not pay for a generic walk; the shape here is fixed and canonical.
    body = ",".join(fragment for fragment in fragments if fragment)
    head = json.dumps(algorithm, ensure_ascii=False)
    return f'{{"algorithm":{head},"entries":[{body}],"format":"{TREE_FORMAT}"}}'.encode()


def _entry(row: Any) -> TreeEntry:
    path, oid, size, executable = row
    if not (isinstance(path, str) and isinstance(oid, str)):
        raise InvalidTreeError(f"path and id must be strings in {row!r}")
    if type(size) is not int or type(executable) is not bool:
        raise InvalidTreeError(f"size must be an integer and executable a boolean in {row!r}")
    return TreeEntry(path, oid, size, executable)


def _check_entries(algorithm: str, entries: tuple[TreeEntry, ...]) -> None:
    algo = get_algorithm(algorithm)
    paths = {entry.path for entry in entries}
    if len(paths) != len(entries):
        raise InvalidTreeError("a path is listed twice")
    for entry in entries:
        check_path(entry.path)
        if not algo.is_valid_oid(entry.oid):
            raise InvalidTreeError(f"bad {algorithm} id {entry.oid!r} for {entry.path!r}")
        if entry.size < 0:
            raise InvalidTreeError(f"negative size for {entry.path!r}")
        parent = entry.path.rpartition("/")[0]
        while parent:
            if parent in paths:
                raise InvalidTreeError(f"{entry.path!r} lies inside the file {parent!r}")
            parent = parent.rpartition("/")[0]
