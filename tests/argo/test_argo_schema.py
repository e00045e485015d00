"""The translation of a CRD's OpenAPI v3 structural schema into JSON Schema
(argo_schema.structural), on schemas written here: it needs no CRD file.
The translated CRDs themselves are checked in test_argo_crd."""

from __future__ import annotations

from argo_schema import structural
from jsonschema import Draft7Validator


def test_nullable_admits_null() -> None:
    validator = Draft7Validator(structural({"type": "string", "nullable": True, "enum": ["a"]}))
    assert validator.is_valid(None)
    assert validator.is_valid("a")
    assert not validator.is_valid("b")


def test_int_or_string_without_any_of_admits_both() -> None:
    validator = Draft7Validator(structural({"x-kubernetes-int-or-string": True}))
    assert validator.is_valid(3) and validator.is_valid("3")
    assert not validator.is_valid([3])


def test_an_object_that_lists_its_properties_is_closed() -> None:
    validator = Draft7Validator(structural({"type": "object", "properties": {"a": {}}}))
    assert validator.is_valid({"a": 1})
    assert not validator.is_valid({"b": 1})


def test_preserve_unknown_fields_leaves_an_object_open() -> None:
    schema = {"properties": {"a": {}}, "x-kubernetes-preserve-unknown-fields": True}
    assert Draft7Validator(structural(schema)).is_valid({"b": 1})
