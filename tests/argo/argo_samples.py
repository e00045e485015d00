"""A Workflow and a CronWorkflow in exactly the shape repro emits
(/tmp/i7/shape.md's contract): a four-task dag prepare -> features,
prepare -> stats, features && stats -> train, with parameters passed between
tasks, a retryStrategy, resources, timeouts and an envFrom secret. Each
function returns a fresh deep copy, so a test may mutate what it gets."""

from __future__ import annotations

import copy
import json
from typing import Any

__all__ = [
    "COMMIT",
    "IMAGE",
    "PLAN_OID",
    "RUN_ID",
    "bad_enum_samples",
    "sample_cron_workflow",
    "sample_workflow",
    "task",
    "template",
]

RUN_ID = "01JD7XK3M4N5P6"
COMMIT = "4f1c2a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39"
PLAN_OID = "9c1e5d7a3b2f4e6d8c0a1b3d5f7e9a2c"
IMAGE = "registry.example.com/demo/steps@sha256:" + "3f" * 32
REMOTE = json.dumps(
    {
        "algorithm": "xxh3-128",
        "options": {"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"}},
        "url": "s3://repro-store/demo",
    },
    sort_keys=True,
)
# step -> the inputs it takes: (argument, upstream task, upstream output parameter)
STEPS: dict[str, list[tuple[str, str, str]]] = {
    "prepare": [],
    "features": [("rows", "prepare", "out-0")],
    "stats": [("rows", "prepare", "out-0")],
    "train": [("features", "features", "out-0"), ("stats", "stats", "out-0")],
}
DEPENDS = {"features": "prepare", "stats": "prepare", "train": "features && stats"}


def sample_workflow() -> dict[str, Any]:
    return copy.deepcopy(_WORKFLOW)


def sample_cron_workflow() -> dict[str, Any]:
    return copy.deepcopy(_CRON_WORKFLOW)


def bad_enum_samples() -> dict[str, dict[str, Any]]:
    """For each enum repro emits, a sample with a value outside it, keyed
    by the JSON path of that value."""
    retry, pod_gc, concurrency = sample_workflow(), sample_workflow(), sample_cron_workflow()
    template(retry, "prepare")["retryStrategy"]["retryPolicy"] = "Sometimes"
    pod_gc["spec"]["podGC"]["strategy"] = "Never"
    concurrency["spec"]["concurrencyPolicy"] = "Queue"
    return {
        "$.spec.templates[1].retryStrategy.retryPolicy": retry,
        "$.spec.podGC.strategy": pod_gc,
        "$.spec.concurrencyPolicy": concurrency,
    }


def template(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The template ``name`` of a Workflow or CronWorkflow dict (to mutate it)."""
    spec = doc["spec"].get("workflowSpec", doc["spec"])
    (found,) = (t for t in spec["templates"] if t["name"] == name)
    return found


def task(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The dag task ``name`` of a Workflow or CronWorkflow dict (to mutate it)."""
    (found,) = (t for t in template(doc, "dag")["dag"]["tasks"] if t["name"] == name)
    return found


def _dag_task(step: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": step, "template": step}
    if step in DEPENDS:
        entry["depends"] = DEPENDS[step]
    if STEPS[step]:
        entry["arguments"] = {
            "parameters": [
                {"name": arg, "value": f"{{{{tasks.{up}.outputs.parameters.{out}}}}}"}
                for arg, up, out in STEPS[step]
            ]
        }
    return entry


def _step_template(step: str, run: str) -> dict[str, Any]:
    command = ["repro", "step-exec", run, step, "--plan", PLAN_OID]
    command += ["--argo-outputs", "/tmp/repro"]
    for arg, _, _ in STEPS[step]:
        command += ["--input", f"{arg}={{{{inputs.parameters.{arg}}}}}"]
    entry: dict[str, Any] = {
        "name": step,
        "outputs": {
            "parameters": [
                {"name": "out-0", "valueFrom": {"path": "/tmp/repro/outputs/0.json"}},
                {"name": "repro-result", "valueFrom": {"path": "/tmp/repro/result.json"}},
            ]
        },
        "retryStrategy": {"limit": "2", "retryPolicy": "Always"},
        "activeDeadlineSeconds": 600,
        "container": {
            "image": IMAGE,
            "command": command,
            "env": [{"name": "REPRO_ARGO_REMOTE", "value": REMOTE}],
            "envFrom": [{"secretRef": {"name": "repro-s3"}}],
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi"},
                "limits": {"cpu": "2", "memory": "4Gi"},
            },
        },
    }
    if STEPS[step]:
        entry["inputs"] = {"parameters": [{"name": arg} for arg, _, _ in STEPS[step]]}
    return entry


def _workflow_spec(run: str) -> dict[str, Any]:
    dag = {"name": "dag", "dag": {"tasks": [_dag_task(step) for step in STEPS]}}
    return {
        "entrypoint": "dag",
        "serviceAccountName": "repro-runner",
        "parallelism": 4,
        "activeDeadlineSeconds": 3600,
        "podGC": {"strategy": "OnPodSuccess"},
        "templates": [dag, *(_step_template(step, run) for step in STEPS)],
    }


_ANNOTATIONS = {
    "repro.dev/images": json.dumps({step: IMAGE for step in STEPS}, sort_keys=True),
    "repro.dev/snapshots": json.dumps({"data/raw": "b7e4" * 8}),
    "repro.dev/lock": "5d41" * 8,
}

_WORKFLOW: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {
        "name": f"repro-demo-{RUN_ID.lower()}",
        "namespace": "ml",
        "labels": {
            "app.kubernetes.io/managed-by": "repro",
            "repro.dev/run": RUN_ID,
            "repro.dev/pipeline": "demo",
            "repro.dev/commit": COMMIT,
        },
        "annotations": {"repro.dev/plan": PLAN_OID, **_ANNOTATIONS},
    },
    "spec": _workflow_spec(RUN_ID),
}

_CRON_WORKFLOW: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "CronWorkflow",
    "metadata": {
        "name": "repro-demo",
        "namespace": "ml",
        "labels": {
            "app.kubernetes.io/managed-by": "repro",
            "repro.dev/pipeline": "demo",
            "repro.dev/commit": COMMIT,
        },
        "annotations": _ANNOTATIONS,
    },
    "spec": {
        "schedules": ["0 3 * * *", "0 15 * * 1-5"],
        "timezone": "Europe/Paris",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 300,
        "workflowMetadata": {
            "labels": {"app.kubernetes.io/managed-by": "repro", "repro.dev/pipeline": "demo"}
        },
        # Each scheduled Workflow is a run of its own, named after the Workflow.
        "workflowSpec": _workflow_spec("{{workflow.name}}"),
    },
}
