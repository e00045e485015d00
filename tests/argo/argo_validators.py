"""The one door through which the Argo tests validate a manifest: every
validator present, each listing every violation it finds.

The SDK check (argo_sdk) runs everywhere: Argo's Python SDK is a dev
dependency. The CRD check (argo_schema) runs where ../shared/reference/argo
is, and in CI, where that folder must be. They differ as argo_sdk's
docstring says: only the CRD knows enums, and the SDK has Argo 3's API
where the CRDs have Argo 4's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from argo_schema import crd_expected, validate_crd
from argo_sdk import validate_sdk

__all__ = ["VALIDATORS", "Validator", "validate_manifest"]


@dataclass(frozen=True)
class Validator:
    name: str
    validate: Callable[[Mapping[str, Any]], None]


# Decided once, at collection: the tests parametrized over it never skip.
VALIDATORS: tuple[Validator, ...] = (
    Validator("sdk", validate_sdk),
    *((Validator("crd", validate_crd),) if crd_expected() else ()),
)


def validate_manifest(doc: Mapping[str, Any]) -> None:
    """Raises AssertionError with the violations every validator present
    finds in ``doc``."""
    failures = []
    for validator in VALIDATORS:
        try:
            validator.validate(doc)
        except AssertionError as failure:
            failures.append(str(failure))
    if failures:
        raise AssertionError("\n".join(failures))
