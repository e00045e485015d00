"""text, bytes and json: the built-ins for plain Python values."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repro.materialize import MaterializeError, MaterializeOptions, NoMaterializerError, Registry
from repro.store import ObjectStore

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=25,
)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (True == 1, but not here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float):
        return math.copysign(1.0, a) == math.copysign(1.0, b) and a == b
    return bool(a == b)


# The store is shared by the examples on purpose: content addressing makes
# a value written twice one object.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_json_values)
def test_json_values_round_trip(registry: Registry, store: ObjectStore, value: Any) -> None:
    artifact = registry.dump(value, store)
    assert _same(registry.load(artifact, store), value)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_json_values)
def test_json_copies_give_one_oid(registry: Registry, store: ObjectStore, value: Any) -> None:
    assert registry.dump(value, store).oid == registry.dump(copy.deepcopy(value), store).oid


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("héllo", "text"),
        (b"\x00\xff", "bytes"),
        (None, "json"),
        (True, "json"),
        (7, "json"),
        (2.5, "json"),
        ([1, "a"], "json"),
        ({"a": None}, "json"),
    ],
)
def test_plain_values_go_to_their_materializer(
    registry: Registry, store: ObjectStore, value: object, name: str
) -> None:
    assert registry.dump(value, store).materializer == name


def test_text_is_stored_as_utf8(registry: Registry, store: ObjectStore) -> None:
    artifact = registry.dump("héllo", store)
    assert store.read(artifact.oid) == "héllo".encode()
    assert (artifact.kind, artifact.type, artifact.size) == ("blob", "builtins.str", 6)


def test_text_round_trips(registry: Registry, store: ObjectStore) -> None:
    assert registry.load(registry.dump("line\nnext ✓", store), store) == "line\nnext ✓"


def test_lone_surrogate_text_is_refused(registry: Registry, store: ObjectStore) -> None:
    with pytest.raises(MaterializeError, match="'text': not encodable as UTF-8"):
        registry.dump("\ud800", store)


def test_bytearray_loads_back_as_bytes(registry: Registry, store: ObjectStore) -> None:
    artifact = registry.dump(bytearray(b"abc"), store)
    assert artifact.type == "builtins.bytearray"
    assert registry.load(artifact, store) == b"abc"


def test_bytes_are_stored_as_themselves(registry: Registry, store: ObjectStore) -> None:
    assert store.read(registry.dump(b"\x01\x02", store).oid) == b"\x01\x02"


def test_json_bytes_are_canonical(registry: Registry, store: ObjectStore) -> None:
    artifact = registry.dump({"b": 1, "a": [1.0, None, "é"]}, store)
    assert store.read(artifact.oid) == '{"a":[1.0,null,"é"],"b":1}'.encode()


def test_equal_dicts_in_any_order_give_one_oid(registry: Registry, store: ObjectStore) -> None:
    first = registry.dump({"x": 1, "y": [2]}, store)
    second = registry.dump({"y": [2], "x": 1}, store)
    assert first.oid == second.oid


def test_a_bool_loads_back_as_a_bool(registry: Registry, store: ObjectStore) -> None:
    assert registry.load(registry.dump(True, store), store) is True


def test_a_float_stays_a_float(registry: Registry, store: ObjectStore) -> None:
    loaded = registry.load(registry.dump(3.0, store), store)
    assert type(loaded) is float


@pytest.mark.parametrize("value", [(1, 2), [1, (2, 3)], {"a": (1,)}])
def test_tuples_are_not_json(registry: Registry, store: ObjectStore, value: object) -> None:
    with pytest.raises(NoMaterializerError, match=r"a builtins\.(tuple|list|dict), which no"):
        registry.dump(value, store)


def test_a_tuple_is_left_to_the_caller(registry: Registry) -> None:
    with pytest.raises(NoMaterializerError, match=r"builtins\.tuple"):
        registry.for_value((1, 2), MaterializeOptions())


def test_non_string_keys_are_not_json(registry: Registry, store: ObjectStore) -> None:
    with pytest.raises(NoMaterializerError, match=r"builtins\.dict"):
        registry.dump({1: "a"}, store)


@pytest.mark.parametrize("value", [math.nan, [1.0, math.inf], {"x": -math.inf}])
def test_non_finite_floats_are_refused(
    registry: Registry, store: ObjectStore, value: object
) -> None:
    with pytest.raises(MaterializeError, match="'json': non-finite float"):
        registry.dump(value, store)


def test_a_list_that_holds_itself_is_refused(registry: Registry, store: ObjectStore) -> None:
    value: list[object] = [1]
    value.append(value)
    with pytest.raises(MaterializeError, match="nested too deeply, or it contains itself"):
        registry.dump(value, store)


def test_shared_lists_are_json(registry: Registry, store: ObjectStore) -> None:
    shared = [1, 2]
    loaded = registry.load(registry.dump({"a": shared, "b": shared}, store), store)
    assert loaded == {"a": [1, 2], "b": [1, 2]}


def test_a_str_subclass_is_not_text(registry: Registry) -> None:
    class Name(str):
        pass

    with pytest.raises(NoMaterializerError, match=r"Name, which no materializer"):
        registry.for_value(Name("x"), MaterializeOptions())
