"""What someone who can write to a folder remote (not to the Git
repository) can do to it, with nothing but the store's documented layout:
``<remote>/<algorithm>/objects/ab/cdef…`` (loose objects),
``packs/<id>.pack`` + ``packs/<id>.idx`` (a header, then sorted records:
raw digest, offset, length), ``runs/<run id>`` (the id of the run's
record, a canonical-JSON object). No repro code is used to craft: an
attacker would not need it, and the campaign must not trust it.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xxhash

__all__ = [
    "RemoteFolder",
    "canonical",
    "flip_byte",
    "new_run_id",
    "oid_of",
    "tree_manifest",
    "truncate",
]

_INDEX_HEADER = struct.Struct(">8sHI")  # magic, digest size, count
_POSITION = struct.Struct(">QQ")  # offset, length
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def oid_of(data: bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data)


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def tree_manifest(entries: list[tuple[str, str, int, bool]], algorithm: str = "xxh3-128") -> bytes:
    """A tree's bytes, as repro writes them, for any entries (even ones
    repro would never write)."""
    rows = sorted([list(entry) for entry in entries])
    body = json.dumps(rows, separators=(",", ":"), ensure_ascii=False)[1:-1]
    head = json.dumps(algorithm, ensure_ascii=False)
    return f'{{"algorithm":{head},"entries":[{body}],"format":"repro.tree/v1"}}'.encode()


def new_run_id() -> str:
    """An id of repro's form: 48 bits of milliseconds, 20 random bits,
    in 14 Crockford base-32 characters."""
    value = (time.time_ns() // 1_000_000) << 20 | secrets.randbits(20)
    chars = []
    for _ in range(14):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    _rewrite(path, bytes(data))


def truncate(path: Path, size: int) -> None:
    _rewrite(path, path.read_bytes()[:size])


def _rewrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)  # objects are read-only; the attacker does not care
    path.write_bytes(data)


@dataclass(frozen=True)
class Packed:
    pack: Path
    index: Path
    offset: int
    length: int


class RemoteFolder:
    """One folder remote's store for one algorithm."""

    def __init__(self, url: str | Path, algorithm: str = "xxh3-128") -> None:
        self.root = Path(url) / algorithm

    def loose_path(self, oid: str) -> Path:
        return self.root / "objects" / oid[:2] / oid[2:]

    def packs(self) -> dict[str, Packed]:
        found: dict[str, Packed] = {}
        for index in sorted((self.root / "packs").glob("*.idx")):
            data = index.read_bytes()
            _magic, size, count = _INDEX_HEADER.unpack_from(data)
            record = size + _POSITION.size
            for i in range(count):
                start = _INDEX_HEADER.size + i * record
                oid = data[start : start + size].hex()
                offset, length = _POSITION.unpack_from(data, start + size)
                found[oid] = Packed(index.with_suffix(".pack"), index, offset, length)
        return found

    def loose(self) -> dict[str, Path]:
        objects = self.root / "objects"
        return {
            p.parent.name + p.name: p
            for p in objects.glob("*/*")
            if p.is_file() and not p.name.startswith(".")
        }

    def read(self, oid: str) -> bytes:
        path = self.loose_path(oid)
        if path.exists():
            return path.read_bytes()
        where = self.packs()[oid]
        with open(where.pack, "rb") as file:
            file.seek(where.offset)
            return file.read(where.length)

    def write(self, data: bytes, oid: str | None = None) -> str:
        """Put ``data`` loose under ``oid`` (its true id unless given)."""
        oid = oid or oid_of(data)
        path = self.loose_path(oid)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            os.chmod(path, 0o644)
        path.write_bytes(data)
        os.chmod(path, 0o444)
        return oid

    def runs(self) -> dict[str, str]:
        folder = self.root / "runs"
        return {p.name: p.read_text().strip() for p in folder.iterdir()} if folder.exists() else {}

    def record(self, run: str) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.read(self.runs()[run]))
        return doc

    def list_run(self, run: str, record_oid: str) -> None:
        path = self.root / "runs" / run
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{record_oid}\n")

    def plant_record(self, doc: dict[str, Any]) -> str:
        """Store ``doc`` as a record object and list it as run ``doc['id']``."""
        oid = self.write(canonical(doc))
        self.list_run(str(doc["id"]), oid)
        return oid

    def unpack(self) -> None:
        """Every packed object loose, the packs gone: so that one object
        can be replaced on its own."""
        for oid, where in self.packs().items():
            with open(where.pack, "rb") as file:
                file.seek(where.offset)
                self.write(file.read(where.length), oid)
        for path in (self.root / "packs").glob("*"):
            path.unlink()
