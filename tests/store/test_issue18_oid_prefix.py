"""Abbreviated object ids (``repro runs show`` prints 12 hex digits): a
unique prefix names its object, loose or packed; an ambiguous, unknown or
malformed one is an error, and a malformed one never reaches the backend."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from store_testing import ALGORITHM, RecordingBackend

from repro.hashing import get_algorithm
from repro.store import (
    AmbiguousOidPrefixError,
    InvalidOidPrefixError,
    ObjectStore,
    UnknownOidPrefixError,
    resolve_prefix,
)


def _packed(store: ObjectStore, data: bytes) -> str:
    with store.batch() as batch:
        oid = batch.add(data)
    assert store.is_packed(oid)
    return oid


def _sharing_a_prefix(length: int) -> tuple[bytes, bytes]:
    """Two payloads whose ids share their first ``length`` hex digits."""
    algorithm = get_algorithm(ALGORITHM)
    seen: dict[str, bytes] = {}
    for number in itertools.count():
        data = f"payload {number}".encode()
        prefix = algorithm.hexdigest(data)[:length]
        if prefix in seen:
            return seen[prefix], data
        seen[prefix] = data
    raise AssertionError("unreachable")


def test_a_loose_object_is_named_by_a_prefix(
    store: ObjectStore, make_blob: Callable[..., bytes]
) -> None:
    oid = store.write(make_blob(5000))
    assert not store.is_packed(oid)
    assert resolve_prefix(store, oid[:12]) == oid


@pytest.mark.parametrize("length", [4, 5, 12, 31])
def test_a_packed_object_is_named_by_a_prefix(store: ObjectStore, length: int) -> None:
    oid = _packed(store, b"small")
    assert resolve_prefix(store, oid[:length]) == oid


def test_a_whole_id_names_itself_stored_or_not(local_store: ObjectStore) -> None:
    oid = get_algorithm(ALGORITHM).hexdigest(b"never stored")
    assert resolve_prefix(local_store, oid) == oid


def test_a_prefix_in_capitals_is_the_same_prefix(local_store: ObjectStore) -> None:
    oid = local_store.write(b"x" * 2000)
    assert resolve_prefix(local_store, oid[:8].upper()) == oid


def test_an_ambiguous_prefix_says_how_many_objects_have_it(local_store: ObjectStore) -> None:
    loose, packed = _sharing_a_prefix(4)
    first = local_store.write(loose)
    second = _packed(local_store, packed)
    assert first[:4] == second[:4]
    with pytest.raises(AmbiguousOidPrefixError, match=f"{first[:4]} is ambiguous: 2 objects"):
        resolve_prefix(local_store, first[:4])
    # One more digit (where they differ) names each.
    common = next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
    assert resolve_prefix(local_store, first[: max(common + 1, 4)]) == first


def test_an_unknown_prefix_says_no_object_has_it(local_store: ObjectStore) -> None:
    oid = local_store.write(b"y" * 2000)
    other = "0000" if not oid.startswith("0000") else "ffff"
    with pytest.raises(UnknownOidPrefixError, match=f"no object .* starting with {other}"):
        resolve_prefix(local_store, other)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("../../../etc/passwd", "not hexadecimal"),
        ("e3/../../x", "not hexadecimal"),
        ("e3f3a5436832 ", "not hexadecimal"),
        ("", "not hexadecimal"),
        ("e3f", "give at least 4 hex digits"),
        ("e" * 33, "longer than its 32 hex digits"),
    ],
)
def test_a_malformed_prefix_is_refused_before_any_path_is_built(
    local_store: ObjectStore, text: str, reason: str
) -> None:
    recording = RecordingBackend(local_store.backend)
    store = ObjectStore(recording, ALGORITHM)
    with pytest.raises(InvalidOidPrefixError, match=reason):
        resolve_prefix(store, text)
    assert recording.calls == []
