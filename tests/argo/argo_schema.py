"""Schema conformance of manifests against Argo's own CRDs.

The CRDs (in ``../shared/reference/argo/``, not committed: see its README)
carry an OpenAPI v3 structural schema. jsonschema knows most of it; what it
does not is translated here, and every object that lists its properties is
closed, as the API server's pruning would silently drop (and so lose) an
unknown field. The CEL rules (``x-kubernetes-validations``) are not checked.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from strict_ci import in_ci

__all__ = [
    "CRD_FILES",
    "crd_expected",
    "crd_schema",
    "reference_dir",
    "structural",
    "validate_crd",
]

CRD_FILES = {"Workflow": "crd-workflows.json", "CronWorkflow": "crd-cronworkflows.json"}
_SUBSCHEMA_LISTS = ("anyOf", "allOf", "oneOf")


def crd_expected() -> bool:
    """Whether the CRD check runs: where the reference folder is, and in CI
    always."""
    return in_ci() or _reference_folder().is_dir()


def reference_dir() -> Path:
    """The Argo reference folder; its absence fails (CI always has it)."""
    folder = _reference_folder()
    if not folder.is_dir():
        pytest.fail(f"the Argo reference schemas are missing: no folder {folder}", pytrace=False)
    return folder


def _reference_folder() -> Path:
    return Path(__file__).parents[2].parent / "shared/reference/argo"


def validate_crd(doc: Mapping[str, Any]) -> None:
    """Raises AssertionError listing every violation of the CRD schema of
    ``doc``'s kind, each with its JSON path."""
    kind = doc.get("kind")
    if kind not in CRD_FILES:
        raise AssertionError(f"no CRD for kind {kind!r}; expected one of {sorted(CRD_FILES)}")
    errors = sorted(_validator(kind).iter_errors(doc), key=lambda error: error.json_path)
    if errors:
        lines = [f"  {error.json_path}: {error.message}" for error in errors]
        raise AssertionError(f"{kind} violates its CRD schema:\n" + "\n".join(lines))


@functools.cache
def crd_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (Draft 7) of a kind's CRD, translated by ``structural``."""
    crd = json.loads((reference_dir() / CRD_FILES[kind]).read_text())
    schema: dict[str, Any] = structural(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
    return schema


@functools.cache
def _validator(kind: str) -> Draft7Validator:
    # No check_schema here: checking a CRD's schema takes a second
    # (test_argo_schema checks it once).
    return Draft7Validator(crd_schema(kind))


def structural(node: Any) -> Any:
    """The JSON Schema meaning of an OpenAPI v3 structural schema node."""
    if isinstance(node, list):
        return [structural(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema = {key: _translate_child(key, value) for key, value in node.items()}
    if schema.get("x-kubernetes-int-or-string") and "anyOf" not in schema:
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable"):
        _allow_null(schema)
    open_object = schema.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in schema and "additionalProperties" not in schema and not open_object:
        schema["additionalProperties"] = False
    return schema


def _translate_child(key: str, value: Any) -> Any:
    if key == "properties":
        return {name: structural(sub) for name, sub in value.items()}
    if key in ("items", "additionalProperties", "not") or key in _SUBSCHEMA_LISTS:
        return structural(value)
    # Everything else (enum, default, required, description…) is data, not a schema.
    return value


def _allow_null(schema: dict[str, Any]) -> None:
    if isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    if "anyOf" in schema:
        schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
