"""Canonical JSON: one byte sequence per value."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repro.hashing import CanonicalizationError, canonical_dumps, canonical_loads

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=12,
)


def test_keys_are_sorted_at_every_level() -> None:
    value = {"b": 1, "a": {"d": [], "c": None}}
    assert canonical_dumps(value) == b'{"a":{"c":null,"d":[]},"b":1}'


def test_keys_sort_by_code_point() -> None:
    assert canonical_dumps({"é": 1, "z": 2, "Z": 3}) == '{"Z":3,"z":2,"é":1}'.encode()


def test_there_is_no_whitespace() -> None:
    assert canonical_dumps({"a": [1, 2, {"b": "c d"}]}) == b'{"a":[1,2,{"b":"c d"}]}'


def test_text_is_utf8_not_escaped() -> None:
    assert canonical_dumps(["données", "日本", "🙂"]) == '["données","日本","🙂"]'.encode()


def test_control_characters_are_escaped() -> None:
    assert canonical_dumps("a\nb\x00") == b'"a\\nb\\u0000"'


@pytest.mark.parametrize(
    ("value", "text"), [(0.1, b"0.1"), (1e16, b"1e+16"), (-0.0, b"-0.0"), (1.0, b"1.0")]
)
def test_floats_use_the_shortest_round_trip_form(value: float, text: bytes) -> None:
    assert canonical_dumps(value) == text


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(value: float) -> None:
    with pytest.raises(
        CanonicalizationError, match=r"^cannot serialize canonically: non-finite float"
    ):
        canonical_dumps({"metrics": [1.0, value]})


@pytest.mark.parametrize("key", [1, 1.5, None, True, ("a",)])
def test_non_string_keys_are_refused(key: Any) -> None:
    with pytest.raises(CanonicalizationError, match=r"non-string key"):
        canonical_dumps({"outer": {key: 1}})


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", object()])
def test_values_json_cannot_hold_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalizationError, match="is not JSON serializable"):
        canonical_dumps({"x": value})


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(CanonicalizationError, match="surrogates not allowed"):
        canonical_dumps("\ud800")


def test_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot serialize canonically"):
        canonical_dumps(math.nan)


@given(json_values)
def test_round_trip(value: Any) -> None:
    assert canonical_loads(canonical_dumps(value)) == value


@given(json_values)
def test_output_is_valid_json_of_the_value(value: Any) -> None:
    assert json.loads(canonical_dumps(value)) == value


def reversed_dicts(value: Any) -> Any:
    """``value`` with every dict, at every depth, built in the opposite order."""
    if isinstance(value, dict):
        return {key: reversed_dicts(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_dicts(item) for item in value]
    return value


@given(
    st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), min_size=2), st.data()
)
def test_insertion_order_does_not_matter(value: dict[str, Any], data: st.DataObject) -> None:
    shuffled = dict(data.draw(st.permutations(list(value.items()))))
    assert canonical_dumps(shuffled) == canonical_dumps(value)


@given(json_values)
def test_insertion_order_does_not_matter_at_any_depth(value: Any) -> None:
    assert canonical_dumps(reversed_dicts(value)) == canonical_dumps(value)


@given(json_values)
def test_dumping_is_idempotent(value: Any) -> None:
    once = canonical_dumps(value)
    assert canonical_dumps(canonical_loads(once)) == once


def test_tuples_serialize_as_lists() -> None:
    assert canonical_dumps((1, "a")) == canonical_dumps([1, "a"])


@pytest.mark.parametrize("data", [b"", b"{", b"{'a': 1}", b"\xff\xfe"])
def test_loads_refuses_what_is_not_json(data: bytes) -> None:
    with pytest.raises(CanonicalizationError, match=r"^cannot serialize canonically: not JSON: "):
        canonical_loads(data)
