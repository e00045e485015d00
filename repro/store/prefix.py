"""Abbreviated object ids, as git takes abbreviated hashes: a prefix of at
least ``MIN_PREFIX`` hex digits names the one object in the store whose id
starts with it (``repro runs show`` prints the first 12)."""

from __future__ import annotations

import re
from typing import Final

from repro.hashing import Algorithm
from repro.store.errors import AmbiguousOidPrefixError, InvalidOidPrefixError, UnknownOidPrefixError
from repro.store.objects import OBJECTS_DIR, ObjectStore

__all__ = ["MIN_PREFIX", "check_prefix", "matching_oids", "resolve_prefix"]

MIN_PREFIX: Final = 4
_HEX: Final = re.compile(r"[0-9a-f]+")


def check_prefix(text: str, algorithm: Algorithm) -> str:
    """``text`` in lowercase, once it is known to be hex digits of a
    plausible length: it becomes part of a path only after this."""
    prefix = text.lower()
    if _HEX.fullmatch(prefix) is None:
        reason = "not hexadecimal"
    elif len(prefix) < MIN_PREFIX:
        reason = f"give at least {MIN_PREFIX} hex digits"
    elif len(prefix) > algorithm.hex_length:
        reason = f"longer than its {algorithm.hex_length} hex digits"
    else:
        return prefix
    raise InvalidOidPrefixError(text, algorithm.name, reason)


def matching_oids(store: ObjectStore, prefix: str) -> set[str]:
    """Every id in ``store`` that starts with ``prefix`` (checked with
    ``check_prefix``), loose or packed: one folder listing and a bisection
    of each pack index."""
    folder, rest = prefix[:2], prefix[2:]
    found = {
        folder + name
        for name in store.backend.listdir(f"{OBJECTS_DIR}/{folder}")
        if name.startswith(rest) and store.algorithm.is_valid_oid(folder + name)
    }
    store.refresh()
    for index in store.packs():
        found.update(index.with_prefix(prefix))
    return found


def resolve_prefix(store: ObjectStore, text: str) -> str:
    """The id of the one object in ``store`` that ``text`` abbreviates. A
    whole id names itself, stored or not: reading it says if it is missing."""
    prefix = check_prefix(text, store.algorithm)
    if len(prefix) == store.algorithm.hex_length:
        return prefix
    found = matching_oids(store, prefix)
    if not found:
        raise UnknownOidPrefixError(prefix, store.backend.root)
    if len(found) > 1:
        raise AmbiguousOidPrefixError(prefix, len(found))
    return found.pop()
