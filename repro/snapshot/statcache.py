"""The stat cache: (path, inode, size, mtime_ns) -> id, so an unchanged file
costs a stat, not a read, like ``git status``.

SQLite under ``.repro/``, one row per folder and algorithm holding a
marshalled ``{name: (inode, size, mtime_ns, oid)}``: looking up a 100,000-file
tree is then one query and a few hundred rows, not 100,000 queries. A file
modified within ``RACY_NS`` of being hashed is not cached, since a second
write in the same timestamp tick would leave size and mtime unchanged
(git's "racily clean" problem).
"""

from __future__ import annotations

import marshal
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["RACY_NS", "StatCache", "StatKey"]

RACY_NS = 2_000_000_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS stat_dirs (
    algorithm TEXT NOT NULL,
    dir TEXT NOT NULL,
    entries BLOB NOT NULL,
    PRIMARY KEY (algorithm, dir)
)
"""

Entry = tuple[int, int, int, str]  # inode, size, mtime_ns, oid


@dataclass(frozen=True)
class StatKey:
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> StatKey:
        return cls(info.st_ino, info.st_size, info.st_mtime_ns)


class StatCache:
    """Path-keyed ids for one algorithm; paths are absolute."""

    def __init__(self, db_path: str, algorithm: str) -> None:
        self.db_path = db_path
        self.algorithm = algorithm

    def _connect(self) -> sqlite3.Connection:
        os.makedirs(os.path.dirname(self.db_path), exist_ok=True)
        try:
            return self._open()
        except sqlite3.DatabaseError:
            # A cache may always be thrown away: rebuild a damaged one.
            os.unlink(self.db_path)
            return self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        return db

    def load(self, root: str) -> dict[str, dict[str, Entry]]:
        """Every cached folder at or below ``root``: ``{dir: {name: entry}}``."""
        query = (
            "SELECT dir, entries FROM stat_dirs WHERE algorithm = ? "
            "AND (dir = ? OR (dir >= ? AND dir < ?))"
        )
        base = root.rstrip("/")
        db = self._connect()
        try:
            rows = db.execute(query, (self.algorithm, base, base + "/", base + "0")).fetchall()
        finally:
            db.close()
        return {directory: _decode(blob) for directory, blob in rows}

    def save(
        self,
        updates: Iterable[tuple[str, StatKey, str]],
        started_ns: int,
        forget: Iterable[str] = (),
    ) -> int:
        """Merge ``(path, key, oid)`` into the cache and drop the ``forget``
        paths; returns how many entries were kept."""
        by_dir: dict[str, dict[str, Entry | None]] = defaultdict(dict)
        kept = 0
        for path, key, oid in updates:
            directory, _, name = path.rpartition("/")
            if key.mtime_ns < started_ns - RACY_NS:
                by_dir[directory][name] = (key.inode, key.size, key.mtime_ns, oid)
                kept += 1
            else:
                by_dir[directory][name] = None
        for path in forget:
            directory, _, name = path.rpartition("/")
            by_dir[directory][name] = None
        if by_dir:
            self._merge(by_dir)
        return kept

    def _merge(self, by_dir: dict[str, dict[str, Entry | None]]) -> None:
        db = self._connect()
        try:
            with db:
                for directory, changes in by_dir.items():
                    row = db.execute(
                        "SELECT entries FROM stat_dirs WHERE algorithm = ? AND dir = ?",
                        (self.algorithm, directory),
                    ).fetchone()
                    merged = _decode(row[0]) if row else {}
                    for name, entry in changes.items():
                        if entry is None:
                            merged.pop(name, None)
                        else:
                            merged[name] = entry
                    db.execute(
                        "INSERT OR REPLACE INTO stat_dirs VALUES (?, ?, ?)",
                        (self.algorithm, directory, marshal.dumps(merged)),
                    )
        finally:
            db.close()


def _decode(blob: bytes) -> dict[str, Entry]:
    try:
        value = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}

