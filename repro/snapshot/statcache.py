"""The stat cache: (path, inode, size, mtime_ns, executable bit, ctime_ns)
-> id, so an unchanged file costs a stat, not a read, like ``git status``.

The change time too, as git checks it: a tool can put an mtime back
(``cp -p``, ``os.utime``) after rewriting a file in place to the same
size, and nothing can set a ctime, which every write and utime moves.

SQLite under ``.repro/``, one row per folder and algorithm holding a
marshalled ``{name: (inode, size, mtime_ns, executable, oid, ctime_ns)}``: looking up a
100,000-file tree is then one query and a few hundred rows, not 100,000
queries. A second table remembers the tree id last computed for a root, so
a snapshot in which every file is a hit need not rebuild its manifest; any
change below a root forgets that root's tree.

A file modified within ``RACY_NS`` of being hashed is not cached, since a
second write in the same timestamp tick would leave size and mtime
unchanged (git's "racily clean" problem).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from repro.errors import ReproError

__all__ = [
    "RACY_NS",
    "Cached",
    "CachedTree",
    "Entry",
    "Listings",
    "Scanned",
    "StatCache",
    "StateDatabaseError",
    "by_folder",
    "entry_of",
]

RACY_NS = 2_000_000_000
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS stat_dirs (
        algorithm TEXT NOT NULL, dir TEXT NOT NULL, entries BLOB NOT NULL,
        count INTEGER NOT NULL, PRIMARY KEY (algorithm, dir))""",
    """CREATE TABLE IF NOT EXISTS trees (
        algorithm TEXT NOT NULL, root TEXT NOT NULL, oid TEXT NOT NULL,
        files INTEGER NOT NULL, bytes INTEGER NOT NULL,
        PRIMARY KEY (algorithm, root))""",
    """CREATE TABLE IF NOT EXISTS meta (key TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL)""",
    "INSERT OR IGNORE INTO meta VALUES ('generation', 0)",
    """CREATE TABLE IF NOT EXISTS listings (
        dir TEXT NOT NULL PRIMARY KEY, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
        keys BLOB NOT NULL)""",
)
_SCHEMA_VERSION = 6


# A file's (inode, size, mtime_ns, executable, oid, ctime_ns): all but the
# id must match a file's stat for the id to be trusted. A plain tuple, not
# a named one: 100,000 of them cross between processes and into marshal.
Entry = tuple[int, int, int, bool, str, int]


class Cached(Mapping[str, dict[str, Entry]]):
    """The cached folders below a root, each decoded on first use: a worker
    process decodes only the folders it hashes, and an unchanged tree is
    recognized from the stored counts without decoding any."""

    def __init__(
        self, rows: dict[str, tuple[bytes, int]] | None = None, generation: int = -1
    ) -> None:
        self._rows = rows or {}
        self._decoded: dict[str, dict[str, Entry]] = {}
        self.generation = generation  # of the database when read; -1: never read

    def __getitem__(self, directory: str) -> dict[str, Entry]:
        decoded = self._decoded.get(directory)
        if decoded is None:
            decoded = self._decoded[directory] = _decode(self._rows[directory][0])
        return decoded

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def total(self) -> int:
        """How many files the cache holds below the root."""
        return sum(count for _blob, count in self._rows.values())


class Listings:
    """Folder listings as a walk last read them, keyed by the folder's own
    mtime and inode: adding, removing or renaming an entry changes the
    folder's mtime, so a match means the listing still holds and the folder
    need not be read again (git's untracked cache rests on the same fact).
    A listing is the sorted walk keys: file names, and folder names with a
    "/" after them."""

    def __init__(self, rows: dict[str, tuple[int, int, bytes]] | None = None) -> None:
        self._rows = rows or {}

    def keys_for(self, directory: str, info: os.stat_result) -> list[str] | None:
        row = self._rows.get(directory)
        if row is None or (row[0], row[1]) != (info.st_mtime_ns, info.st_ino):
            return None
        keys = _decode_keys(row[2])
        return keys


Scanned = dict[str, tuple[int, int, list[str]]]  # folder -> (mtime_ns, inode, keys)


def _decode_keys(blob: bytes) -> list[str] | None:
    try:
        value = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return None
    return value if isinstance(value, list) else None


def entry_of(info: os.stat_result, oid: str) -> Entry:
    return (
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
        bool(info.st_mode & 0o100),
        oid,
        info.st_ctime_ns,
    )


class CachedTree(NamedTuple):
    oid: str
    files: int
    bytes: int


class StateDatabaseError(ReproError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"{path}: {reason} (repro's state database, a cache: wait for other repro "
            "commands to finish, or delete it)"
        )


class _DamagedError(Exception):
    """The database turned out damaged mid-query; it has been discarded."""


class StatCache:
    """Path-keyed ids for one algorithm; paths are absolute.

    A cache may always be thrown away, so a damaged database is deleted and
    rebuilt; a busy or unwritable one is an error (deleting it would pull it
    from under another process).
    """

    def __init__(self, db_path: str, algorithm: str) -> None:
        self.db_path = db_path
        self.algorithm = algorithm

    def _connect(self) -> sqlite3.Connection:
        os.makedirs(os.path.dirname(self.db_path), exist_ok=True)
        try:
            return self._open()
        except sqlite3.OperationalError as exc:
            raise StateDatabaseError(self.db_path, str(exc)) from exc
        except sqlite3.DatabaseError:
            self._discard()
            return self._open()

    def _discard(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.db_path + suffix)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=30)
        if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
            db.executescript(
                "DROP TABLE IF EXISTS stat_dirs; DROP TABLE IF EXISTS trees;"
                "DROP TABLE IF EXISTS listings; DROP TABLE IF EXISTS meta;"
            )
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            db.execute(statement)
        db.commit()
        return db

    @contextlib.contextmanager
    def _session(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            yield db
        except sqlite3.OperationalError as exc:
            raise StateDatabaseError(self.db_path, str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            db.close()
            self._discard()
            raise _DamagedError from exc
        finally:
            db.close()

    def load(self, root: str) -> Cached:
        """Every cached folder at or below ``root``: ``{dir: {name: entry}}``."""
        query = (
            "SELECT dir, entries, count FROM stat_dirs WHERE algorithm = ? "
            "AND (dir = ? OR (dir >= ? AND dir < ?))"
        )
        base = root.rstrip("/")
        try:
            with self._session() as db:
                generation = _generation(db)
                rows = db.execute(query, (self.algorithm, base, base + "/", base + "0")).fetchall()
        except _DamagedError:
            return Cached()
        return Cached({d: (blob, count) for d, blob, count in rows}, generation)

    def listings(self, root: str) -> Listings:
        """The listings of ``root`` and every folder below it."""
        base = root.rstrip("/")
        try:
            with self._session() as db:
                rows = db.execute(
                    "SELECT dir, mtime_ns, inode, keys FROM listings "
                    "WHERE dir = ? OR (dir >= ? AND dir < ?)",
                    (base, base + "/", base + "0"),
                ).fetchall()
        except _DamagedError:
            return Listings()
        return Listings({directory: (mtime, inode, keys) for directory, mtime, inode, keys in rows})

    def save_listings(self, scanned: Scanned, started_ns: int) -> None:
        """Remember the listings a walk read, except folders changed so
        recently that a further change could keep the same mtime."""
        cutoff = started_ns - RACY_NS
        rows = [
            (directory, mtime, inode, marshal.dumps(keys))
            for directory, (mtime, inode, keys) in scanned.items()
            if mtime < cutoff
        ]
        if rows:
            with contextlib.suppress(_DamagedError), self._session() as db, db:
                db.executemany("INSERT OR REPLACE INTO listings VALUES (?, ?, ?, ?)", rows)

    def tree(self, root: str) -> CachedTree | None:
        """The tree last computed for ``root``, if nothing below it changed since."""
        try:
            with self._session() as db:
                row = db.execute(
                    "SELECT oid, files, bytes FROM trees WHERE algorithm = ? AND root = ?",
                    (self.algorithm, root),
                ).fetchone()
        except _DamagedError:
            return None
        return CachedTree(*row) if row else None

    def save(
        self,
        fresh: dict[str, dict[str, Entry]],
        started_ns: int,
        *,
        forget: Iterable[str] = (),
        base: Cached | None = None,
        tree: tuple[str, CachedTree] | None = None,
    ) -> None:
        """Merge the ``fresh`` entries (folder -> name -> entry) into the
        cache, leaving out racily recent ones, and drop the ``forget`` paths.
        ``base`` is the cache as this process loaded it, saving a re-read.

        ``tree`` (root, tree) is remembered too, in the same transaction,
        when every fresh entry was kept and no other process changed the
        cache since ``base`` was loaded: the tree was computed from that
        view, and must not outlive a newer one."""
        cutoff = started_ns - RACY_NS
        changes: dict[str, tuple[dict[str, Entry], set[str]]] = {}
        for directory, entries in fresh.items():
            keep = {name: entry for name, entry in entries.items() if entry[2] < cutoff}
            changes[directory] = (keep, set(entries) - set(keep))
        for path in forget:
            directory, _, name = path.rpartition("/")
            changes.setdefault(directory, ({}, set()))[1].add(name)
        all_kept = all(len(keep) == len(fresh[d]) for d, (keep, _) in changes.items() if d in fresh)
        with contextlib.suppress(_DamagedError), self._session() as db, db:
            db.execute("BEGIN IMMEDIATE")
            unchanged = base is not None and _generation(db) == base.generation
            self._merge(db, changes, base)
            if changes:
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
            if tree is not None and all_kept and unchanged:
                db.execute(
                    "INSERT OR REPLACE INTO trees VALUES (?, ?, ?, ?, ?)",
                    (self.algorithm, tree[0], *tree[1]),
                )

    def _merge(
        self,
        db: sqlite3.Connection,
        changes: dict[str, tuple[dict[str, Entry], set[str]]],
        base: Cached | None,
    ) -> None:
        for directory, (keep, drop) in changes.items():
            old = base.get(directory) if base is not None else self._read_dir(db, directory)
            merged = {**(old or {}), **keep}
            for name in drop:
                merged.pop(name, None)
            db.execute(
                "INSERT OR REPLACE INTO stat_dirs VALUES (?, ?, ?, ?)",
                (self.algorithm, directory, marshal.dumps(merged), len(merged)),
            )
            _forget_trees_above(db, self.algorithm, directory)

    def _read_dir(self, db: sqlite3.Connection, directory: str) -> dict[str, Entry]:
        row = db.execute(
            "SELECT entries FROM stat_dirs WHERE algorithm = ? AND dir = ?",
            (self.algorithm, directory),
        ).fetchone()
        return _decode(row[0]) if row else {}


def by_folder(pairs: Iterable[tuple[str, Entry]]) -> dict[str, dict[str, Entry]]:
    """``(path, entry)`` pairs grouped as ``save`` takes them."""
    grouped: dict[str, dict[str, Entry]] = defaultdict(dict)
    for path, entry in pairs:
        directory, _, name = path.rpartition("/")
        grouped[directory][name] = entry
    return dict(grouped)


def _generation(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def _forget_trees_above(db: sqlite3.Connection, algorithm: str, directory: str) -> None:
    ancestors = [directory]
    while (parent := os.path.dirname(ancestors[-1])) != ancestors[-1]:
        ancestors.append(parent)
    marks = ",".join("?" * len(ancestors))
    db.execute(
        f"DELETE FROM trees WHERE algorithm = ? AND root IN ({marks})", (algorithm, *ancestors)
    )


def _decode(blob: bytes) -> dict[str, Entry]:
    try:
        value = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}
