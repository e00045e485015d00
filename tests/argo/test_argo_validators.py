"""The contract every manifest validator keeps (argo_validators.VALIDATORS:
Argo's SDK everywhere, its CRDs where they are): the samples of the shape
repro emits pass, and what the API server would refuse or silently drop
fails, each violation named by its JSON path."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from argo_samples import sample_cron_workflow, sample_workflow, task, template
from argo_validators import VALIDATORS, Validator, validate_manifest

Validate = Callable[[Mapping[str, Any]], None]


@pytest.fixture(params=VALIDATORS, ids=lambda validator: validator.name)
def validate(request: pytest.FixtureRequest) -> Validate:
    validator: Validator = request.param
    return validator.validate


def test_workflow_sample_validates(validate: Validate) -> None:
    validate(sample_workflow())


def test_cron_workflow_sample_validates(validate: Validate) -> None:
    validate(sample_cron_workflow())


def test_unknown_field_fails_with_its_path(validate: Validate) -> None:
    doc = sample_workflow()
    template(doc, "train")["container"]["imagePullPolicyy"] = "Always"
    with pytest.raises(
        AssertionError, match=r"\$\.spec\.templates\[4\]\.container: .*'imagePullPolicyy'"
    ):
        validate(doc)


def test_unknown_field_in_a_nested_object_fails(validate: Validate) -> None:
    doc = sample_workflow()
    doc["spec"]["podGC"]["after"] = "1h"
    with pytest.raises(AssertionError, match=r"\$\.spec\.podGC: .*'after'"):
        validate(doc)


def test_unknown_field_in_parallel_steps_fails(validate: Validate) -> None:
    doc = sample_workflow()
    steps = [[{"name": "again", "template": "train", "bogus": 1}]]
    doc["spec"]["templates"].append({"name": "steps", "steps": steps})
    with pytest.raises(
        AssertionError, match=r"\$\.spec\.templates\[5\]\.steps\[0\]\[0\]: .*'bogus'"
    ):
        validate(doc)


def test_every_violation_is_listed(validate: Validate) -> None:
    doc = sample_workflow()
    doc["spec"]["bogus"] = 1
    template(doc, "stats")["container"]["bogus"] = 2
    template(doc, "train")["container"]["env"][0]["value"] = True
    with pytest.raises(AssertionError) as raised:
        validate(doc)
    assert "$.spec: " in str(raised.value)
    assert "$.spec.templates[3].container: " in str(raised.value)
    assert "$.spec.templates[4].container.env[0].value: True is not of type" in str(raised.value)


def test_missing_required_field_fails(validate: Validate) -> None:
    doc = sample_workflow()
    del task(doc, "train")["name"]
    with pytest.raises(
        AssertionError, match=r"\$\.spec\.templates\[0\]\.dag\.tasks\[3\]: 'name' is a required"
    ):
        validate(doc)


@pytest.mark.parametrize("deadline", [900, "900"])
def test_template_deadline_is_int_or_string(validate: Validate, deadline: int | str) -> None:
    doc = sample_workflow()
    template(doc, "train")["activeDeadlineSeconds"] = deadline
    validate(doc)


def test_template_deadline_of_another_type_fails(validate: Validate) -> None:
    doc = sample_workflow()
    template(doc, "train")["activeDeadlineSeconds"] = 9.5
    with pytest.raises(AssertionError, match=r"templates\[4\]\.activeDeadlineSeconds: 9\.5"):
        validate(doc)


def test_workflow_deadline_is_integer_only(validate: Validate) -> None:
    doc = sample_workflow()
    doc["spec"]["activeDeadlineSeconds"] = "3600"
    with pytest.raises(AssertionError, match=r"\$\.spec\.activeDeadlineSeconds: '3600' is not"):
        validate(doc)


def test_a_quantity_may_be_an_integer(validate: Validate) -> None:
    doc = sample_workflow()
    template(doc, "train")["container"]["resources"]["limits"]["cpu"] = 2
    validate(doc)


def test_a_quantity_of_another_type_fails(validate: Validate) -> None:
    doc = sample_workflow()
    template(doc, "train")["container"]["resources"]["limits"]["cpu"] = ["2"]
    with pytest.raises(AssertionError, match=r"templates\[4\]\.container\.resources\.limits\.cpu:"):
        validate(doc)


def test_an_object_of_another_type_fails(validate: Validate) -> None:
    doc = sample_workflow()
    doc["spec"]["podGC"] = "OnPodSuccess"
    with pytest.raises(
        AssertionError, match=r"\$\.spec\.podGC: 'OnPodSuccess' is not of type '?object"
    ):
        validate(doc)


def test_free_form_items_are_left_open(validate: Validate) -> None:
    doc = sample_workflow()
    template(doc, "dag")["dag"]["tasks"][0]["withItems"] = [{"anything": {"goes": 1}}]
    validate(doc)


def test_cron_workflow_unknown_spec_field_fails(validate: Validate) -> None:
    doc = sample_cron_workflow()
    doc["spec"]["timeZone"] = "Europe/Paris"
    with pytest.raises(AssertionError, match=r"\$\.spec: .*'timeZone'"):
        validate(doc)


def test_unknown_kind_fails(validate: Validate) -> None:
    doc = sample_workflow()
    doc["kind"] = "WorkflowTemplate"
    with pytest.raises(AssertionError, match="for kind 'WorkflowTemplate'"):
        validate(doc)


def test_validate_manifest_reports_every_validator() -> None:
    doc = sample_workflow()
    doc["spec"]["bogus"] = 1
    with pytest.raises(AssertionError) as raised:
        validate_manifest(doc)
    for validator in VALIDATORS:
        with pytest.raises(AssertionError) as alone:
            validator.validate(doc)
        assert str(alone.value) in str(raised.value)
