"""An id together with the name of the algorithm that made it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from repro.errors import ReproError
from repro.hashing.algorithms import get_algorithm

__all__ = ["HashInfo", "InvalidHashInfoError"]


class InvalidHashInfoError(ReproError, ValueError):
    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"invalid object id {text!r}: {reason}")


@dataclass(frozen=True, order=True)
class HashInfo:
    algorithm: str
    oid: str

    def __post_init__(self) -> None:
        if not get_algorithm(self.algorithm).is_valid_oid(self.oid):
            raise InvalidHashInfoError(self.oid, f"not a {self.algorithm} id")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.oid}"

    @classmethod
    def parse(cls, text: str) -> HashInfo:
        """Parse ``algorithm:oid`` as written by ``str()``."""
        algorithm, sep, oid = text.rpartition(":")
        if not sep:
            raise InvalidHashInfoError(text, "expected ALGORITHM:HEX")
        return cls(algorithm, oid)

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "oid": self.oid}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HashInfo:
        return cls(str(data["algorithm"]), str(data["oid"]))
