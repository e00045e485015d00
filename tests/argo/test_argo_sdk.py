"""What the SDK check (argo_sdk) does beyond the validators' contract: a
valid manifest becomes the SDK's model whole, and what it cannot check (enums)
or checks otherwise than Argo (IntOrString fields) stays as documented."""

from __future__ import annotations

import argo_workflows.models
import pytest
from argo_samples import bad_enum_samples, sample_cron_workflow
from argo_sdk import INT_OR_STRING, sdk_model, validate_sdk
from argo_workflows.model.io_argoproj_workflow_v1alpha1_cron_workflow import (
    IoArgoprojWorkflowV1alpha1CronWorkflow,
)
from argo_workflows.model_utils import model_to_dict


def test_a_manifest_becomes_the_sdk_model_whole() -> None:
    doc = sample_cron_workflow()
    model = sdk_model(doc)
    assert isinstance(model, IoArgoprojWorkflowV1alpha1CronWorkflow)
    # The SDK holds an IntOrString as its string.
    for entry in doc["spec"]["workflowSpec"]["templates"][1:]:
        entry["activeDeadlineSeconds"] = str(entry["activeDeadlineSeconds"])
    assert model_to_dict(model, serialize=True) == doc


@pytest.mark.parametrize("path", list(bad_enum_samples()))
def test_a_value_outside_its_enum_passes_the_sdk(path: str) -> None:
    # The SDK's models have no enums: only the CRD check refuses these
    # (test_argo_crd). Should a new SDK refuse them, argo_sdk's docstring
    # and this test are out of date.
    validate_sdk(bad_enum_samples()[path])


@pytest.mark.parametrize("field", sorted(INT_OR_STRING), ids=".".join)
def test_a_field_that_takes_an_integer_is_a_string_in_the_sdk(field: tuple[str, str]) -> None:
    model_name, json_name = field
    model = getattr(argo_workflows.models, model_name)
    (name,) = (name for name, value in model.attribute_map.items() if value == json_name)
    assert model.openapi_types[name] in [(str,), ({str: (str,)},)]
