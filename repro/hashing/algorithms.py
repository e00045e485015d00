"""Hash algorithms behind one hashlib-compatible interface.

xxh3-128 is the default because it hashes at memory speed; it is not
collision-resistant against an attacker, so md5 (DVC interop), sha256 and
blake3 are a setting away. Every algorithm is looked up by name, and the
name travels with every id (see ``HashInfo``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from repro.errors import ReproError

__all__ = [
    "DEFAULT_ALGORITHM",
    "Algorithm",
    "HashObject",
    "UnknownAlgorithmError",
    "algorithm_names",
    "get_algorithm",
    "new",
]

DEFAULT_ALGORITHM = "xxh3-128"


class HashObject(Protocol):
    """What hashlib's objects offer; xxhash and blake3 objects match it."""

    @property
    def digest_size(self) -> int: ...

    # ``object``, not ``None``: blake3's update returns the hasher itself.
    def update(self, data: bytes | bytearray | memoryview, /) -> object: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...


class UnknownAlgorithmError(ReproError, ValueError):
    def __init__(self, name: str, hint: str | None = None) -> None:
        self.name = name
        known = ", ".join(algorithm_names())
        super().__init__(hint or f"unknown hash algorithm {name!r} (known: {known})")


@dataclass(frozen=True)
class Algorithm:
    """A named hash: a streaming constructor and a one-shot hex function."""

    name: str
    new: Callable[[], HashObject]
    hexdigest: Callable[[bytes | memoryview], str]
    hex_length: int

    def is_valid_oid(self, oid: str) -> bool:
        return len(oid) == self.hex_length and _LOWER_HEX.fullmatch(oid) is not None


_LOWER_HEX = re.compile(r"[0-9a-f]+")


def _xxh3_128() -> Algorithm:
    import xxhash

    return Algorithm("xxh3-128", xxhash.xxh3_128, xxhash.xxh3_128_hexdigest, 32)


def _hashlib(name: str, hex_length: int) -> Callable[[], Algorithm]:
    def build() -> Algorithm:
        ctor = getattr(hashlib, name)
        return Algorithm(name, ctor, lambda data: ctor(data).hexdigest(), hex_length)

    return build


def _blake3() -> Algorithm:
    try:
        from blake3 import blake3
    except ImportError as exc:
        hint = "hash algorithm 'blake3' needs the extra: pip install 'repro-gitops[blake3]'"
        raise UnknownAlgorithmError("blake3", hint) from exc
    return Algorithm("blake3", blake3, lambda data: blake3(data).hexdigest(), 64)


_BUILDERS: dict[str, Callable[[], Algorithm]] = {
    "xxh3-128": _xxh3_128,
    "md5": _hashlib("md5", 32),
    "sha256": _hashlib("sha256", 64),
    "blake3": _blake3,
}
_CACHE: dict[str, Algorithm] = {}


def algorithm_names() -> list[str]:
    return sorted(_BUILDERS)


def get_algorithm(name: str = DEFAULT_ALGORITHM) -> Algorithm:
    """The algorithm called ``name``; raises ``UnknownAlgorithmError``."""
    if name not in _CACHE:
        builder = _BUILDERS.get(name)
        if builder is None:
            raise UnknownAlgorithmError(name)
        _CACHE[name] = builder()
    return _CACHE[name]


def new(name: str = DEFAULT_ALGORITHM, data: bytes = b"") -> HashObject:
    """A hashlib-style object, like ``hashlib.new(name, data)``."""
    hasher = get_algorithm(name).new()
    if data:
        hasher.update(data)
    return hasher
