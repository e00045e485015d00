"""Canonical JSON: one byte sequence per value, so records hash stably.

Keys are sorted, separators carry no whitespace, text is UTF-8 (not
``\\u`` escapes), floats use Python's shortest round-tripping form and
NaN/infinity are refused, because JSON has no single spelling for them.
"""

from __future__ import annotations

import json
import math
from typing import Any

from repro.errors import ReproError

__all__ = ["CanonicalizationError", "canonical_dumps", "canonical_loads"]


class CanonicalizationError(ReproError, ValueError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cannot serialize canonically: {reason}")


def _check(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise CanonicalizationError(f"non-finite float {value!r}")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalizationError(f"non-string key {key!r}")
            _check(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item)


def canonical_dumps(value: Any) -> bytes:
    """Serialize ``value`` (JSON types only) to its canonical bytes."""
    _check(value)
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")  # a lone surrogate fails here (UnicodeEncodeError)
    except (TypeError, ValueError) as exc:
        raise CanonicalizationError(str(exc)) from exc


def canonical_loads(data: bytes) -> Any:
    """Parse canonical (or any) JSON bytes."""
    try:
        return json.loads(
            data.decode("utf-8"), parse_constant=_refuse_constant, object_pairs_hook=_unique_keys
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CanonicalizationError(f"not JSON: {exc}") from exc


def _refuse_constant(name: str) -> Any:
    raise CanonicalizationError(f"non-finite number {name}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A record with a key twice has no single meaning: refuse it."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise CanonicalizationError(f"key {twice!r} appears twice")
    return value
