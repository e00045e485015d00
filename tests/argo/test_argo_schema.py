"""The samples of the manifest shape repro emits conform to Argo's CRD
schemas, and the validator tests use rejects what the API server would:
unknown fields, values outside an enum, wrong types."""

from __future__ import annotations

import pytest
from argo_samples import sample_cron_workflow, sample_workflow, template
from argo_schema import CRD_FILES, crd_schema, reference_dir, structural, validate_crd
from jsonschema import Draft7Validator


@pytest.mark.parametrize("kind", sorted(CRD_FILES))
def test_translated_crd_schema_is_valid_json_schema(kind: str) -> None:
    Draft7Validator.check_schema(crd_schema(kind))


def test_reference_dir_holds_both_crds() -> None:
    assert {path.name for path in reference_dir().iterdir()} >= set(CRD_FILES.values())


def test_workflow_sample_validates() -> None:
    validate_crd(sample_workflow())


def test_cron_workflow_sample_validates() -> None:
    validate_crd(sample_cron_workflow())


def test_unknown_field_fails_with_its_path() -> None:
    doc = sample_workflow()
    template(doc, "train")["container"]["imagePullPolicyy"] = "Always"
    with pytest.raises(
        AssertionError, match=r"\$\.spec\.templates\[4\]\.container: .*imagePullPolicyy"
    ):
        validate_crd(doc)


def test_unknown_field_in_a_nested_object_fails() -> None:
    doc = sample_workflow()
    doc["spec"]["podGC"]["after"] = "1h"
    with pytest.raises(AssertionError, match=r"\$\.spec\.podGC: .*'after' was unexpected"):
        validate_crd(doc)


def test_every_violation_is_listed() -> None:
    doc = sample_workflow()
    doc["spec"]["bogus"] = 1
    template(doc, "stats")["container"]["bogus"] = 2
    with pytest.raises(AssertionError) as raised:
        validate_crd(doc)
    assert "$.spec: " in str(raised.value)
    assert "$.spec.templates[3].container: " in str(raised.value)


def test_unknown_retry_policy_fails() -> None:
    doc = sample_workflow()
    template(doc, "prepare")["retryStrategy"]["retryPolicy"] = "Sometimes"
    with pytest.raises(AssertionError, match=r"retryStrategy\.retryPolicy: 'Sometimes' is not one"):
        validate_crd(doc)


def test_unknown_pod_gc_strategy_fails() -> None:
    doc = sample_workflow()
    doc["spec"]["podGC"]["strategy"] = "Never"
    with pytest.raises(AssertionError, match=r"\$\.spec\.podGC\.strategy: 'Never' is not one"):
        validate_crd(doc)


@pytest.mark.parametrize("deadline", [900, "900"])
def test_template_deadline_is_int_or_string(deadline: int | str) -> None:
    doc = sample_workflow()
    template(doc, "train")["activeDeadlineSeconds"] = deadline
    validate_crd(doc)


def test_template_deadline_of_another_type_fails() -> None:
    doc = sample_workflow()
    template(doc, "train")["activeDeadlineSeconds"] = 9.5
    with pytest.raises(AssertionError, match=r"templates\[4\]\.activeDeadlineSeconds: 9\.5"):
        validate_crd(doc)


def test_workflow_deadline_is_integer_only() -> None:
    doc = sample_workflow()
    doc["spec"]["activeDeadlineSeconds"] = "3600"
    with pytest.raises(AssertionError, match=r"\$\.spec\.activeDeadlineSeconds: '3600' is not"):
        validate_crd(doc)


def test_preserve_unknown_fields_leaves_an_object_open() -> None:
    doc = sample_workflow()
    template(doc, "dag")["dag"]["tasks"][0]["withItems"] = [{"anything": {"goes": 1}}]
    validate_crd(doc)


def test_cron_workflow_unknown_spec_field_fails() -> None:
    doc = sample_cron_workflow()
    doc["spec"]["schedule"] = "0 3 * * *"
    with pytest.raises(AssertionError, match=r"\$\.spec: .*'schedule' was unexpected"):
        validate_crd(doc)


def test_cron_workflow_unknown_concurrency_policy_fails() -> None:
    doc = sample_cron_workflow()
    doc["spec"]["concurrencyPolicy"] = "Queue"
    with pytest.raises(AssertionError, match=r"concurrencyPolicy: 'Queue' is not one"):
        validate_crd(doc)


def test_unknown_kind_fails() -> None:
    doc = sample_workflow()
    doc["kind"] = "WorkflowTemplate"
    with pytest.raises(AssertionError, match="no CRD for kind 'WorkflowTemplate'"):
        validate_crd(doc)


def test_nullable_admits_null() -> None:
    validator = Draft7Validator(structural({"type": "string", "nullable": True, "enum": ["a"]}))
    assert validator.is_valid(None)
    assert validator.is_valid("a")
    assert not validator.is_valid("b")


def test_int_or_string_without_any_of_admits_both() -> None:
    validator = Draft7Validator(structural({"x-kubernetes-int-or-string": True}))
    assert validator.is_valid(3) and validator.is_valid("3")
    assert not validator.is_valid([3])
