"""A planned run as an Argo ``Workflow``, a schedule as a ``CronWorkflow``:
built from hera's typed models (so a field name or type Argo does not know
fails here, not on the cluster), every one fully inlined (no template
reference a later change could alter), linted, and dumped as YAML with
sorted keys so that the same plan gives the same bytes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from repro.argo.plan import (
    DATA_TASK,
    OUTPUTS_DIR,
    REMOTE_ENV,
    RESULT_PARAMETER,
    InputBinding,
    TaskPlan,
    WorkflowPlan,
    condition_parameter,
    data_parameter,
    output_parameter,
)
from repro.argo.settings import ArgoSettings

__all__ = [
    "API_VERSION",
    "cron_workflow_manifest",
    "cron_workflow_name",
    "dump_yaml",
    "workflow_manifest",
    "workflow_name",
]

API_VERSION = "argoproj.io/v1alpha1"
ENTRYPOINT = "dag"
LABEL = "repro.dev"
_MANAGED_BY = {"app.kubernetes.io/managed-by": "repro"}


def workflow_name(pipeline: str, run_id: str) -> str:
    return f"repro-{_dns(pipeline, 40)}-{run_id.lower()}"


def cron_workflow_name(pipeline: str) -> str:
    return f"repro-{_dns(pipeline, 46)}"


def workflow_manifest(plan: WorkflowPlan, settings: ArgoSettings) -> dict[str, Any]:
    """The Workflow that runs ``plan``'s tasks, linted."""
    from hera.workflows.models import ObjectMeta, Workflow

    from repro.argo.lint import check_manifest

    labels = {**_pipeline_labels(plan), f"{LABEL}/run": plan.run_id}
    model = Workflow(
        api_version=API_VERSION,
        kind="Workflow",
        metadata=ObjectMeta(
            name=workflow_name(plan.pipeline, plan.run_id),
            namespace=settings.namespace,
            labels=labels,
            annotations=_annotations(plan),
        ),
        spec=_workflow_spec(plan, settings),
    )
    doc = _plain(model)
    check_manifest(doc)
    return doc


def cron_workflow_manifest(
    plan: WorkflowPlan, settings: ArgoSettings, schedules: Sequence[str]
) -> dict[str, Any]:
    """The CronWorkflow that runs ``plan``'s tasks on ``schedules``, linted.
    Its Workflows carry the pipeline's labels (the run id is each
    Workflow's own)."""
    from hera.workflows.models import CronWorkflow, CronWorkflowSpec, ObjectMeta

    from repro.argo.cron import check_schedule, check_timezone
    from repro.argo.lint import check_manifest

    crons = [check_schedule(expression) for expression in schedules]
    timezone = check_timezone(settings.timezone) if settings.timezone else None
    labels = _pipeline_labels(plan)
    model = CronWorkflow(
        api_version=API_VERSION,
        kind="CronWorkflow",
        metadata=ObjectMeta(
            name=cron_workflow_name(plan.pipeline),
            namespace=settings.namespace,
            labels=labels,
            annotations=_annotations(plan),
        ),
        spec=CronWorkflowSpec(
            schedules=crons,
            timezone=timezone,
            concurrency_policy=settings.concurrency_policy,
            # Each Workflow it starts names the plan it runs: how `repro argo
            # collect` records it with that plan, whatever was rendered since.
            workflow_metadata=ObjectMeta(labels={**labels, f"{LABEL}/plan": plan.plan_oid}),
            workflow_spec=_workflow_spec(plan, settings),
        ),
    )
    doc = _plain(model)
    check_manifest(doc)
    return doc


def dump_yaml(doc: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, width=10_000))


def _plain(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return dumped


def _pipeline_labels(plan: WorkflowPlan) -> dict[str, str]:
    labels = {**_MANAGED_BY, f"{LABEL}/pipeline": _label_value(plan.pipeline)}
    if plan.commit:
        labels[f"{LABEL}/commit"] = plan.commit
    return labels


def _annotations(plan: WorkflowPlan) -> dict[str, str]:
    annotations = {
        f"{LABEL}/pipeline": plan.pipeline,
        f"{LABEL}/plan": plan.plan_oid,
        f"{LABEL}/images": json.dumps(plan.images, sort_keys=True),
        f"{LABEL}/snapshots": json.dumps(dict(plan.snapshots), sort_keys=True),
    }
    if plan.lock_hash:
        annotations[f"{LABEL}/lock"] = plan.lock_hash
    if plan.replay_of:
        annotations[f"{LABEL}/replay-of"] = plan.replay_of
    return annotations


def _workflow_spec(plan: WorkflowPlan, settings: ArgoSettings) -> Any:
    from hera.workflows.models import DAGTemplate, PodGC, Template, WorkflowSpec

    tasks = [_dag_task(t) for t in plan.tasks]
    templates = [_task_template(plan, task, settings) for task in plan.tasks]
    if plan.fresh_data:
        from hera.workflows.models import DAGTask

        tasks.insert(0, DAGTask(name=DATA_TASK, template=DATA_TASK))
        templates.insert(0, _data_template(plan, settings))
    dag = Template(name=ENTRYPOINT, dag=DAGTemplate(tasks=tasks))
    return WorkflowSpec(
        entrypoint=ENTRYPOINT,
        service_account_name=settings.service_account,
        parallelism=settings.parallelism,
        active_deadline_seconds=settings.active_deadline,
        pod_gc=PodGC(strategy=settings.pod_gc) if settings.pod_gc else None,
        templates=[dag, *templates],
    )


def _dag_task(task: TaskPlan) -> Any:
    from hera.workflows.models import Arguments, DAGTask, Parameter

    parameters = [Parameter(name=b.argument, value=_binding_value(b)) for b in task.inputs]
    parameters += [
        Parameter(
            name=data_parameter(index),
            value=f"{{{{tasks.{DATA_TASK}.outputs.parameters.{data_parameter(index)}}}}}",
        )
        for index in sorted({index for _, index in task.data})
    ]
    depends = (*task.depends, DATA_TASK) if task.data else task.depends
    when = [f"{{{{tasks.{t}.outputs.parameters.{p}}}}} == true" for t, p in task.when]
    return DAGTask(
        name=task.task,
        template=task.task,
        depends=" && ".join(depends) or None,
        when=" && ".join(when) or None,
        arguments=Arguments(parameters=parameters) if parameters else None,
    )


def _binding_value(binding: InputBinding) -> str:
    if binding.task is None:
        return str(binding.value)
    return f"{{{{tasks.{binding.task}.outputs.parameters.{binding.parameter}}}}}"


def _task_template(plan: WorkflowPlan, task: TaskPlan, settings: ArgoSettings) -> Any:
    from hera.workflows.models import (
        Container,
        Inputs,
        IntOrString,
        Outputs,
        Parameter,
        RetryStrategy,
        Template,
        ValueFrom,
    )

    outputs = [
        Parameter(
            name=output_parameter(task.outputs, name),
            value_from=ValueFrom(path=f"{OUTPUTS_DIR}/outputs/{index}.json"),
        )
        for index, name in enumerate(task.outputs)
    ]
    outputs += [
        Parameter(
            name=condition_parameter(task.outputs, name),
            value_from=ValueFrom(path=f"{OUTPUTS_DIR}/outputs/{task.outputs.index(name)}.when"),
        )
        for name in task.condition_outputs
    ]
    outputs.append(
        Parameter(name=RESULT_PARAMETER, value_from=ValueFrom(path=f"{OUTPUTS_DIR}/result.json"))
    )
    container = Container(
        image=task.image,
        command=_command(plan, task),
        env=_env(plan),
        env_from=_env_from(settings),
        resources=_resources(task, settings),
    )
    inputs = [Parameter(name=binding.argument) for binding in task.inputs]
    inputs += [Parameter(name=data_parameter(i)) for i in sorted({i for _, i in task.data})]
    return Template(
        name=task.task,
        inputs=Inputs(parameters=inputs) if inputs else None,
        outputs=Outputs(parameters=outputs),
        retry_strategy=(
            RetryStrategy(limit=IntOrString(str(task.retries)), retry_policy="Always")
            if task.retries
            else None
        ),
        active_deadline_seconds=IntOrString(task.timeout) if task.timeout else None,
        container=container,
    )


def _env(plan: WorkflowPlan) -> list[Any]:
    from hera.workflows.models import EnvVar

    return [EnvVar(name=REMOTE_ENV, value=json.dumps(plan.remote.to_dict(), sort_keys=True))]


def _env_from(settings: ArgoSettings) -> list[Any] | None:
    from hera.workflows.models import EnvFromSource, SecretEnvSource

    secret = settings.credentials_secret
    return [EnvFromSource(secret_ref=SecretEnvSource(name=secret))] if secret else None


def _data_template(plan: WorkflowPlan, settings: ArgoSettings) -> Any:
    """The first task of a schedule: it snapshots the URL datasets as they
    are when it fires, into the remote store, and hands their ids on."""
    from hera.workflows.models import Container, Outputs, Parameter, Template, ValueFrom

    outputs = [
        Parameter(
            name=data_parameter(index),
            value_from=ValueFrom(path=f"{OUTPUTS_DIR}/data/{index}.json"),
        )
        for index in range(len(plan.fresh_data))
    ]
    command = ["repro", "argo", "snapshot-data", plan.run_id, "--plan", plan.plan_oid]
    command += ["--argo-outputs", OUTPUTS_DIR]
    image = plan.tasks[0].image
    container = Container(
        image=image, command=command, env=_env(plan), env_from=_env_from(settings)
    )
    return Template(name=DATA_TASK, outputs=Outputs(parameters=outputs), container=container)


def _command(plan: WorkflowPlan, task: TaskPlan) -> list[str]:
    command = ["repro", "step-exec", plan.run_id, task.step, "--plan", plan.plan_oid]
    command += ["--argo-outputs", OUTPUTS_DIR]
    for binding in task.inputs:
        command += ["--input", f"{binding.argument}={{{{inputs.parameters.{binding.argument}}}}}"]
    for index in sorted({index for _, index in task.data}):
        command += ["--data", f"{{{{inputs.parameters.{data_parameter(index)}}}}}"]
    for name in task.condition_outputs:
        command += ["--condition", name]
    return command


def _resources(task: TaskPlan, settings: ArgoSettings) -> Any:
    from hera.workflows.models import Quantity, ResourceRequirements

    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    if task.cpus is not None:
        requests["cpu"] = limits["cpu"] = Quantity(_cpu_quantity(task.cpus))
    elif settings.cpu:
        requests["cpu"] = Quantity(settings.cpu)
    if task.memory is not None:
        requests["memory"] = limits["memory"] = Quantity(_memory_quantity(task.memory))
    elif settings.memory:
        requests["memory"] = Quantity(settings.memory)
    if not requests:
        return None
    return ResourceRequirements(requests=requests, limits=limits or None)


def _cpu_quantity(cpus: float) -> str:
    millis = round(cpus * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def _memory_quantity(size: int) -> str:
    for suffix, unit in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def _dns(text: str, limit: int) -> str:
    import re

    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return cleaned or "pipeline"


def _label_value(text: str) -> str:
    import re

    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:63]
    return cleaned.strip("-_.") or "pipeline"
