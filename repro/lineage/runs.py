"""The local index of run records: ``.repro/runs/<run id>.json``, plus a
journal per run in progress so that a killed run still shows what it did.

A run's process holds an exclusive ``flock`` on its journal from the first
line to the record: the kernel drops it when the process dies, however it
dies (``kill -9`` too), and never hands it to an unrelated process as a
recycled pid would be. A journal with no record that nobody holds is what
a killed run left: listed as interrupted, removed by ``repro gc``.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import IO

from repro.atomic import write_atomic
from repro.errors import ReproError
from repro.hashing import canonical_dumps
from repro.lineage.records import RUN_SCHEMA, RunRecord

__all__ = [
    "AmbiguousRunError",
    "KilledRun",
    "RunIndex",
    "RunRecordInvalidError",
    "RunRecordNewerSchemaError",
    "UnknownRunError",
    "derived_run_id",
    "is_run_id_prefix",
    "new_run_id",
    "parse_record",
    "run_id_time",
]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32: sorts like time


class UnknownRunError(ReproError, LookupError):
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        super().__init__(f"no run matches {prefix!r}; see `repro runs list` (or `repro pull`)")


class AmbiguousRunError(ReproError, LookupError):
    def __init__(self, prefix: str, matches: list[str]) -> None:
        self.prefix = prefix
        self.matches = matches
        shown = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
        super().__init__(f"{prefix!r} matches {len(matches)} runs ({shown}); give more characters")


class RunRecordInvalidError(ReproError, ValueError):
    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where} is not a valid run record: {reason}")


class RunRecordNewerSchemaError(ReproError):
    def __init__(self, where: str, schema: str) -> None:
        self.where = where
        self.schema = schema
        super().__init__(
            f"{where} was written by a newer repro (schema {schema}; this one reads "
            f"{RUN_SCHEMA}): upgrade repro"
        )


def parse_record(data: bytes, where: str) -> RunRecord:
    """A run record from its JSON; a damaged or newer one is an error
    naming the file, never a traceback."""
    from pydantic import ValidationError

    try:
        return RunRecord.model_validate_json(data)
    except ValidationError as exc:
        schema = _schema_of(data)
        if schema is not None and schema.startswith("repro.run/") and schema != RUN_SCHEMA:
            raise RunRecordNewerSchemaError(where, schema) from exc
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error["loc"]) or "(record)"
        raise RunRecordInvalidError(where, f"{location}: {error['msg']}") from exc


def _schema_of(data: bytes) -> str | None:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):  # pydantic has already refused it
        return None
    schema = doc.get("schema") if isinstance(doc, dict) else None
    return schema if isinstance(schema, str) else None


def new_run_id(now_ms: int | None = None) -> str:
    """48 bits of milliseconds then 20 random bits, as 14 base32 characters:
    ids sort by start time and two runs in the same millisecond differ."""
    stamp = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    return _encode(_next_value(stamp))


def derived_run_id(stamp_ms: int, digest: str) -> str:
    """An id of the same form whose 20 low bits come from ``digest`` (hex):
    a run planned to be rendered (argo) gets the same id from the same
    plan and pins, so that its manifest is the same bytes."""
    return _encode((stamp_ms << 20) | (int(digest[:5], 16) & 0xFFFFF))


def run_id_time(run_id: str) -> int:
    """The milliseconds an id was made at."""
    value = 0
    for char in run_id:
        value = (value << 5) | _ALPHABET.index(char)
    return value >> 20


def _encode(value: int) -> str:
    chars = []
    for _ in range(14):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


_last: tuple[int, int] = (-1, -1)  # (millisecond, value) of this process's latest id
_last_lock = threading.Lock()


def _next_value(stamp: int) -> int:
    # 20 random bits alone collide after about a thousand ids in one
    # millisecond (birthday bound), so later ids of the same millisecond in
    # this process count up from the first, like monotonic ULIDs. The first
    # is drawn from the lower half, leaving room for 2**19 more before the
    # count would spill into the next millisecond.
    global _last
    with _last_lock:
        value = _last[1] + 1 if stamp == _last[0] else (stamp << 20) | secrets.randbits(19)
        _last = (stamp, value)
    return value


def is_run_id_prefix(text: str) -> bool:
    return bool(text) and len(text) <= 14 and all(c in _ALPHABET for c in text)


def match_run(prefix: str, ids: Iterable[str]) -> str:
    """The one run id among ``ids`` that ``prefix`` names (a whole id wins
    over the longer ids it is a prefix of)."""
    prefix = prefix.strip().lower()
    if not is_run_id_prefix(prefix):
        raise UnknownRunError(prefix)
    matches = sorted({run_id for run_id in ids if run_id.startswith(prefix)})
    if not matches:
        raise UnknownRunError(prefix)
    if len(matches) > 1 and prefix not in matches:
        raise AmbiguousRunError(prefix, matches)
    return prefix if prefix in matches else matches[0]


@dataclass(frozen=True)
class KilledRun:
    """A run killed before its record, as its id and spec tell it (its
    journal's steps are read by whoever reuses them: the next run, gc)."""

    id: str
    pipeline: str | None  # None: its spec is gone too
    created: str  # when it started, from its id


class RunIndex:
    def __init__(self, repro_dir: str) -> None:
        self.folder = os.path.join(repro_dir, "runs")
        # The journals this index writes, held open and locked until the record.
        self._journals: dict[str, IO[bytes]] = {}

    def _path(self, run_id: str, suffix: str = ".json") -> str:
        if not is_run_id_prefix(run_id):
            raise UnknownRunError(run_id)
        return os.path.join(self.folder, run_id + suffix)

    def save(self, record: RunRecord) -> bytes:
        data = canonical_dumps(record.to_json_dict())
        write_atomic(self._path(record.id), data)
        journal = self._path(record.id, ".journal")
        if os.path.exists(journal):
            os.unlink(journal)
        held = self._journals.pop(record.id, None)
        if held is not None:
            held.close()
        return data

    def save_bytes(self, run_id: str, data: bytes) -> RunRecord:
        """Admit a record fetched from elsewhere (a store), checked first."""
        record = parse_record(data, f"record of run {run_id}")
        write_atomic(self._path(run_id), data)
        return record

    def has(self, run_id: str) -> bool:
        return os.path.exists(self._path(run_id))

    def load(self, run_id: str) -> RunRecord:
        path = self._path(run_id)
        try:
            with open(path, "rb") as file:
                data = file.read()
        except FileNotFoundError:
            raise UnknownRunError(run_id) from None
        return parse_record(data, path)

    def ids(self) -> list[str]:
        return self._listed(".json")

    def _listed(self, suffix: str) -> list[str]:
        """Run ids of the files in the index with ``suffix``."""
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        cut = len(suffix)
        return sorted(n[:-cut] for n in names if n.endswith(suffix) and not n.startswith("."))

    def resolve(self, prefix: str, *, planned: bool = False) -> str:
        """The run ``prefix`` names: among the recorded runs, or with
        ``planned`` among those whose spec is kept (in flight, or that did
        not succeed)."""
        return match_run(prefix, self._listed(".spec") if planned else self.ids())

    def records(self) -> Iterator[RunRecord]:
        for run_id in self.ids():
            yield self.load(run_id)

    def append_journal(self, run_id: str, event: dict[str, object]) -> None:
        path = self._path(run_id, ".journal")
        held = self._journals.get(run_id)
        if held is None:
            held = self._journals[run_id] = _open_journal(path)
        line = (json.dumps(event, sort_keys=True) + "\n").encode("utf-8")
        # One write per line on an O_APPEND file, as before: a kill cuts at
        # most the last line, which readers skip.
        written = 0
        while written < len(line):
            written += held.write(line[written:]) or 0

    def interrupted(self) -> list[str]:
        """Runs that started and never wrote a record: in progress, or
        killed mid-way (``killed`` tells them apart)."""
        return sorted(set(self._listed(".journal")) - set(self.ids()))

    def in_progress(self, run_id: str) -> bool:
        """Whether a live process holds the run's journal."""
        return _held(self._path(run_id, ".journal"))

    def killed(self) -> list[str]:
        """Runs killed before their record: a journal no process holds."""
        return [run_id for run_id in self.interrupted() if not self.in_progress(run_id)]

    def load_killed(self, run_id: str) -> KilledRun:
        """The killed run ``run_id``; a spec that cannot be read (the kill
        came first) leaves its pipeline unknown."""
        spec = _read_json(self._path(run_id, ".spec"))
        pipeline = spec.get("pipeline") if isinstance(spec, dict) else None
        started = datetime.datetime.fromtimestamp(run_id_time(run_id) / 1000, datetime.UTC)
        return KilledRun(
            id=run_id,
            pipeline=pipeline if isinstance(pipeline, str) else None,
            created=started.isoformat(timespec="milliseconds"),
        )

    def remove_killed(self, run_id: str) -> bool:
        """Remove what a killed run left (journal and spec); False, and
        nothing removed, when its process is alive or it has a record."""
        journal = self._path(run_id, ".journal")
        try:
            with open(journal, "rb") as file:
                # Held while removing: a process that still has it keeps it.
                if self.has(run_id) or _try_lock(file, fcntl.LOCK_EX) is not True:
                    return False
                for path in (journal, self._path(run_id, ".spec")):
                    with suppress(FileNotFoundError):
                        os.unlink(path)
        except FileNotFoundError:
            return False
        return True


def _open_journal(path: str) -> IO[bytes]:
    """A new journal at ``path``, locked before it appears under its name,
    so that no reader ever sees it unheld while its run is alive."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):  # begun by another index of this process
        file = open(path, "ab", buffering=0)  # noqa: SIM115 (held until the record)
        _try_lock(file, fcntl.LOCK_EX)
        return file
    temp = f"{os.path.dirname(path)}/.{os.path.basename(path)}.{secrets.token_hex(6)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o666)
    file = open(fd, "ab", buffering=0)  # noqa: SIM115 (held until the record)
    # A file nobody else can have yet: never waits. A file system without
    # locks leaves the journal unheld; the run goes on (gc's grace covers it).
    _try_lock(file, fcntl.LOCK_EX)
    os.replace(temp, path)
    return file


def _try_lock(file: IO[bytes], kind: int) -> bool | None:
    """Take ``kind`` of lock without waiting: False when a process holds a
    conflicting one, None where the file system has no locks."""
    try:
        fcntl.flock(file, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # some network file systems
        return None
    return True


def _held(path: str) -> bool:
    """Whether a live process holds the journal at ``path``. Where locks
    are unknown it is judged not held: for listing only, removal asks again
    (``RunIndex.remove_killed``)."""
    try:
        with open(path, "rb") as file:
            return _try_lock(file, fcntl.LOCK_SH) is False
    except FileNotFoundError:
        return False


def _read_json(path: str) -> object:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError):
        return None
