"""Manifest building from a plan, without a project: every setting and
step option lands where Argo reads it, in a manifest Argo's SDK and CRD accept."""

from __future__ import annotations

import pytest
import yaml
from argo_validators import validate_manifest

from repro.argo.lint import lint_manifest
from repro.argo.manifest import cron_workflow_manifest, dump_yaml, workflow_manifest
from repro.argo.plan import (
    ArgoRemote,
    InputBinding,
    TaskPlan,
    WorkflowPlan,
    output_parameter,
    task_names,
)
from repro.argo.settings import ArgoSettings, ArgoSettingsError, parse_argo_settings

IMAGE = "registry.example/ml@sha256:" + "cd" * 32


def _plan(*tasks: TaskPlan) -> WorkflowPlan:
    return WorkflowPlan(
        run_id="01m8efhxt02xrp",
        pipeline="Train Model",
        plan_oid="f" * 32,
        remote=ArgoRemote("s3://store/repro", {"endpoint_url": "https://s3.example"}, "xxh3-128"),
        tasks=tasks
        or (
            TaskPlan("prep_data", "prep-data", IMAGE, (), (), ("output",)),
            TaskPlan(
                "fit",
                "fit",
                IMAGE,
                ("prep-data",),
                (
                    InputBinding("frame", task="prep-data", parameter="out-output"),
                    InputBinding("cached", value='{"oid": "abc", "kind": "blob"}'),
                ),
                ("output",),
                retries=2,
                timeout=600,
                cpus=0.5,
                memory=256 << 20,
            ),
        ),
        commit="a" * 40,
        snapshots={"data/x.csv": "1" * 32},
        lock_hash="2" * 32,
    )


SETTINGS = ArgoSettings(
    namespace="ml",
    service_account="repro",
    credentials_secret="repro-s3",
    parallelism=3,
    pod_gc="OnPodSuccess",
    active_deadline=3600,
    cpu="250m",
    memory="1Gi",
    timezone="Europe/Paris",
)


def _template(doc: dict, name: str) -> dict:
    return next(t for t in doc["spec"]["templates"] if t["name"] == name)


def test_every_setting_and_step_option_lands_in_the_workflow() -> None:
    doc = workflow_manifest(_plan(), SETTINGS)
    validate_manifest(doc)
    assert lint_manifest(doc) == []
    spec = doc["spec"]
    assert spec["serviceAccountName"] == "repro" and spec["parallelism"] == 3
    assert spec["podGC"] == {"strategy": "OnPodSuccess"} and spec["activeDeadlineSeconds"] == 3600
    fit = _template(doc, "fit")
    assert fit["retryStrategy"] == {"limit": "2", "retryPolicy": "Always"}
    assert fit["activeDeadlineSeconds"] == 600
    resources = fit["container"]["resources"]
    assert resources["limits"] == {"cpu": "500m", "memory": "256Mi"}
    prep = _template(doc, "prep-data")["container"]
    assert prep["resources"] == {"requests": {"cpu": "250m", "memory": "1Gi"}}
    assert prep["envFrom"] == [{"secretRef": {"name": "repro-s3"}}]
    assert "retryStrategy" not in _template(doc, "prep-data")


def test_a_cached_upstream_output_is_passed_as_its_value() -> None:
    doc = workflow_manifest(_plan(), SETTINGS)
    fit = next(t for t in doc["spec"]["templates"][0]["dag"]["tasks"] if t["name"] == "fit")
    values = {p["name"]: p["value"] for p in fit["arguments"]["parameters"]}
    assert values["cached"] == '{"oid": "abc", "kind": "blob"}'
    assert values["frame"] == "{{tasks.prep-data.outputs.parameters.out-output}}"


def test_provenance_is_in_labels_and_annotations() -> None:
    meta = workflow_manifest(_plan(), SETTINGS)["metadata"]
    assert meta["name"] == "repro-train-model-01m8efhxt02xrp"
    assert meta["labels"]["repro.dev/pipeline"] == "Train-Model"
    assert meta["labels"]["repro.dev/commit"] == "a" * 40
    assert meta["annotations"]["repro.dev/lock"] == "2" * 32
    assert '"fit": "registry.example/ml@sha256:' in meta["annotations"]["repro.dev/images"]


def test_the_same_plan_dumps_the_same_bytes() -> None:
    first = dump_yaml(workflow_manifest(_plan(), SETTINGS))
    assert first == dump_yaml(workflow_manifest(_plan(), SETTINGS))
    assert yaml.safe_load(first)["kind"] == "Workflow"


def test_cron_workflow_carries_schedules_timezone_and_policy() -> None:
    doc = cron_workflow_manifest(_plan(), SETTINGS, ["0 3 * * *", "@hourly"])
    validate_manifest(doc)
    assert lint_manifest(doc) == []
    assert doc["spec"]["schedules"] == ["0 3 * * *", "@hourly"]
    assert doc["spec"]["timezone"] == "Europe/Paris"
    assert doc["spec"]["concurrencyPolicy"] == "Forbid"
    assert doc["metadata"]["name"] == "repro-train-model"


def test_task_names_are_valid_and_unique() -> None:
    names = task_names(["prep_data", "Prep-Data", "9lives", "fit"])
    assert names["9lives"] == "s-9lives"
    assert len(set(names.values())) == 4
    assert all(n[0].isalpha() and n == n.lower() for n in names.values())


def test_a_file_output_gets_a_parameter_name_argo_accepts() -> None:
    outs = ("data/out.csv", "model")
    assert output_parameter(outs, "data/out.csv") == "out-0-data-out-csv"
    assert output_parameter(outs, "model") == "out-model"


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"namespace": "Bad_NS"}, "not a Kubernetes name"),
        ({"pod-gc": "Never"}, "is not one of"),
        ({"memory": "lots"}, "not a quantity"),
        ({"parallelism": 0}, "positive whole number"),
        ({"colour": "red"}, "unknown"),
        ({"schedules": {"train": 3}}, "cron expression or a list"),
    ],
)
def test_bad_settings_are_named(table: dict, match: str) -> None:
    with pytest.raises(ArgoSettingsError, match=match):
        parse_argo_settings(table, "pyproject.toml")


def test_settings_read_every_key() -> None:
    settings = parse_argo_settings(
        {"namespace": "ml", "concurrency-policy": "Replace", "schedules": {"t": ["@daily"]}},
        "pyproject.toml",
    )
    assert settings.namespace == "ml" and settings.concurrency_policy == "Replace"
    assert settings.schedules == {"t": ("@daily",)}
