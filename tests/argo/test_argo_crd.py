"""The CRD check's own tests, which read the CRDs in ../shared/reference/argo:
collected where that folder is and in CI (see conftest), not elsewhere.
Besides the translation, the enums (which only the CRD knows) and the
SDK check's list of fields that take an integer as well as a string."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from argo_samples import bad_enum_samples, sample_cron_workflow
from argo_schema import CRD_FILES, crd_schema, reference_dir, validate_crd
from argo_sdk import INT_OR_STRING, MODELS, Types
from argo_workflows.model_utils import ModelSimple
from jsonschema import Draft7Validator

JsonPath = tuple[str, ...]


@pytest.mark.parametrize("kind", sorted(CRD_FILES))
def test_translated_crd_schema_is_valid_json_schema(kind: str) -> None:
    Draft7Validator.check_schema(crd_schema(kind))


def test_reference_dir_holds_both_crds() -> None:
    assert {path.name for path in reference_dir().iterdir()} >= set(CRD_FILES.values())


@pytest.mark.parametrize("path", list(bad_enum_samples()))
def test_a_value_outside_its_enum_fails(path: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(path) + ": '.*' is not one of"):
        validate_crd(bad_enum_samples()[path])


def test_the_single_schedule_argo_4_removed_fails() -> None:
    # The SDK (Argo 3.x's API, where it is deprecated) still takes it: only
    # the CRD check refuses it.
    doc = sample_cron_workflow()
    doc["spec"]["schedule"] = "0 3 * * *"
    with pytest.raises(AssertionError, match=r"\$\.spec: .*'schedule' was unexpected"):
        validate_crd(doc)


@pytest.mark.parametrize("kind", sorted(CRD_FILES))
def test_the_sdk_check_takes_an_integer_where_the_crd_does(kind: str) -> None:
    paths = _int_or_string_paths(crd_schema(kind))
    fields = {_sdk_field((MODELS[kind],), path) for path in paths}
    assert fields - {None} == INT_OR_STRING


def _int_or_string_paths(node: dict[str, Any], path: JsonPath = ()) -> Iterator[JsonPath]:
    """The JSON paths (``[]`` for any item, ``{}`` for any map entry) of
    the int-or-string fields of a CRD schema."""
    if node.get("x-kubernetes-int-or-string"):
        yield path
    for name, child in node.get("properties", {}).items():
        yield from _int_or_string_paths(child, (*path, name))
    for key, step in (("items", "[]"), ("additionalProperties", "{}")):
        if isinstance(node.get(key), dict):
            yield from _int_or_string_paths(node[key], (*path, step))


def _sdk_field(types: Types, path: JsonPath) -> tuple[str, str] | None:
    """The SDK model and JSON name of the last field on ``path``, or None
    where the SDK does not know the path (a field newer than the SDK)."""
    field = None
    for step in path:
        only = _unwrapped(types)
        if step in ("[]", "{}"):
            types = tuple(only) if step == "[]" else only[str]
        elif step in only.attribute_map.values():
            name = next(key for key, value in only.attribute_map.items() if value == step)
            field, types = (only.__name__, step), only.openapi_types[name]
        else:
            return None
    return field


def _unwrapped(types: Types) -> Any:
    """The one type of an ``openapi_types`` entry, a simple model (a list
    of workflow steps) as what it wraps."""
    only = types[0]
    if isinstance(only, type) and issubclass(only, ModelSimple):
        return only.openapi_types["value"][0]
    return only
