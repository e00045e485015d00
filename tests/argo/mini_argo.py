"""A test-side interpreter of the Argo Workflows repro renders: it runs a
Workflow's container tasks with the local Docker engine, in dependency order,
and reports the ``status`` an Argo controller would.

No cluster runs on these machines; this is how the end-to-end tests prove a
rendered manifest's commands, environment and parameter passing. It reads
exactly the subset repro emits and refuses anything else, naming the field
(``UnsupportedManifestError``): an interpreter that skipped what it does not
know would pass manifests that a real controller runs differently.

As Argo does: node ids (``<workflow>-<fnv-1a 32 of the node name>``), names
(``<workflow>.<task>``), types (DAG; Pod; Retry with Pod children
``<task>(0)``...; Skipped with phase Omitted for a task whose dependency did
not succeed), a failed pod's message, output parameters read from the
container's files with one trailing newline trimmed, ``env`` over
``envFrom``, ``command`` replacing the image's entrypoint and its command.
The workflow has no message of its own: Argo gives a failed DAG none.

Where it differs, on purpose:
- Tasks run one at a time unless ``spec.parallelism`` is above 1 (Argo's
  default is no limit). Every task whose dependencies succeeded runs, even
  after another failed (with Argo's fail-fast that depends on timing).
- An image ``NAME@sha256:<digest>`` is found as repro finds a pin
  (repro.images.resolve): a repository digest of NAME, else a local image id
  (what repro records for an image it built and never pushed), else pulled.
- A container is removed once its outputs are read, whatever ``podGC``
  says; resource requests and ``serviceAccountName`` are checked, not used.
- ``workflow.uid`` is a UUID derived from the workflow's name.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import tarfile
import time
import uuid
import zoneinfo
from collections.abc import Collection, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

__all__ = ["NO_SECRETS", "UnsupportedManifestError", "run_workflow", "workflow_from_cron"]

API_VERSION = "argoproj.io/v1alpha1"
CRON_LABEL = "workflows.argoproj.io/cron-workflow"
POD_DEADLINE = "Pod was active on the node longer than the specified deadline"
WORKFLOW_DEADLINE = "Step exceeded its deadline"
OMITTED = "omitted: depends condition not met"
NO_RETRIES_LEFT = "No more retries left"
GLOBALS = ("workflow.name", "workflow.namespace", "workflow.uid")
POD_GC = ("OnPodSuccess", "OnPodCompletion", "OnWorkflowSuccess", "OnWorkflowCompletion")
CONCURRENCY = ("Allow", "Forbid", "Replace")
# Engine calls after a kill, which return at once.
API_TIMEOUT = 30
NO_SECRETS: Mapping[str, Mapping[str, str]] = MappingProxyType({})

PINNED = re.compile(r"[^@\s{}]+@sha256:[0-9a-f]{64}")
RESOURCE_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
TASK_NAME = re.compile(r"[a-z][-a-z0-9]*")
# The only `when` clause repro emits: a task's output parameter compared to true.
WHEN_CLAUSE = re.compile(r"\{\{tasks\.[a-z][-a-z0-9]*\.outputs\.parameters\.[-\w]+\}\} == true")
PARAM_NAME = re.compile(r"[-a-zA-Z0-9_]+")
LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
REFERENCE = re.compile(r"\{\{(.*?)\}\}")
QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?")
SCALE = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
SCALE |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


class UnsupportedManifestError(ValueError):
    """The manifest uses something outside the subset repro emits."""

    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason} (mini_argo runs only the subset repro emits)")


class _PodConfigError(Exception):
    """The pod cannot be made, as when its secret is missing."""


@dataclass(frozen=True)
class Output:
    name: str
    path: str


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str | None = None
    secret: tuple[str, str] | None = None  # (secret name, key)


@dataclass(frozen=True)
class PodSpec:
    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    env: tuple[EnvVar, ...]
    env_from: tuple[str, ...]
    memory: int | None
    nano_cpus: int | None


@dataclass(frozen=True)
class PodTemplate:
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[Output, ...]
    retries: int | None  # None: no retryStrategy
    deadline: int | None
    pod: PodSpec


@dataclass(frozen=True)
class Task:
    name: str
    template: PodTemplate
    depends: tuple[str, ...]
    arguments: tuple[tuple[str, str], ...]
    when: str | None = None  # "{{...}} == true" clauses joined by " && "


@dataclass(frozen=True)
class Plan:
    name: str
    namespace: str
    entrypoint: str
    tasks: tuple[Task, ...]  # dependencies first
    parallelism: int
    deadline: int | None

    @property
    def globals(self) -> dict[str, str]:
        uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"argo-workflow:{self.name}"))
        return dict(zip(GLOBALS, (self.name, self.namespace, uid), strict=True))


@dataclass(frozen=True)
class Attempt:
    phase: str
    started: str
    finished: str
    message: str | None = None
    exit_code: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    log: str = ""


# -- reading the manifest ---------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _fields(
    value: Any, path: str, required: Collection[str] = (), optional: Collection[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnsupportedManifestError(path, f"expected a mapping, got {type(value).__name__}")
    for key in value:
        if key not in required and key not in optional:
            raise UnsupportedManifestError(_join(path, str(key)), "unsupported field")
    for key in required:
        if key not in value:
            raise UnsupportedManifestError(_join(path, key), "required field missing")
    return value


def _text(value: Any, path: str, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(value, str) or not value:
        raise UnsupportedManifestError(path, f"expected a non-empty string, got {value!r}")
    if pattern is not None and not pattern.fullmatch(value):
        raise UnsupportedManifestError(path, f"{value!r} does not match {pattern.pattern}")
    if "{{" in value:
        raise UnsupportedManifestError(path, f"cannot resolve a parameter here: {value!r}")
    return value


def _choice(value: Any, path: str, choices: Collection[str]) -> str:
    if value not in choices:
        raise UnsupportedManifestError(path, f"{value!r} is not one of {', '.join(choices)}")
    return str(value)


def _count(value: Any, path: str, *, minimum: int = 0, int_or_string: bool = False) -> int:
    """An int, at least ``minimum``; with ``int_or_string``, also its decimal
    string (Kubernetes' IntOrString)."""
    if int_or_string and isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UnsupportedManifestError(path, f"expected an integer >= {minimum}, got {value!r}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise UnsupportedManifestError(path, f"expected a list, got {type(value).__name__}")
    return value


def _check_references(text: Any, path: str, scope: Collection[str]) -> str:
    if not isinstance(text, str):
        raise UnsupportedManifestError(path, f"expected a string, got {text!r}")
    for match in REFERENCE.finditer(text):
        if match[1] not in scope:
            raise UnsupportedManifestError(path, f"cannot resolve {match[0]}")
    if "{{" in REFERENCE.sub("", text):
        raise UnsupportedManifestError(path, f"unclosed {{{{ in {text!r}")
    return text


def _substitute(text: str, values: Mapping[str, str]) -> str:
    return REFERENCE.sub(lambda match: values[match[1]], text)


def _string_map(value: Any, path: str, pattern: re.Pattern[str] | None = None) -> dict[str, str]:
    if not isinstance(value, dict):
        raise UnsupportedManifestError(path, f"expected a mapping, got {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(item, str) or (pattern is not None and not pattern.fullmatch(item)):
            raise UnsupportedManifestError(_join(path, str(key)), f"invalid value {item!r}")
    return dict(value)


def _named(value: Any, path: str, pattern: re.Pattern[str] | None = None) -> str:
    """The ``name`` of a list item, read before its other fields."""
    if not isinstance(value, dict):
        raise UnsupportedManifestError(path, f"expected a mapping, got {type(value).__name__}")
    if "name" not in value:
        raise UnsupportedManifestError(f"{path}.name", "required field missing")
    return _text(value["name"], f"{path}.name", pattern)


def _metadata(value: Any, path: str) -> tuple[str, str | None]:
    meta = _fields(value, path, ("name",), ("namespace", "labels", "annotations"))
    _string_map(meta.get("labels", {}), f"{path}.labels", LABEL_VALUE)
    _string_map(meta.get("annotations", {}), f"{path}.annotations")
    namespace = meta.get("namespace")
    if namespace is not None:
        _text(namespace, f"{path}.namespace", RESOURCE_NAME)
    return _text(meta["name"], f"{path}.name", RESOURCE_NAME), namespace


def _document(value: Any, kind: str) -> tuple[dict[str, Any], str, str | None]:
    doc = _fields(value, "", ("apiVersion", "kind", "metadata", "spec"))
    _choice(doc["apiVersion"], "apiVersion", (API_VERSION,))
    _choice(doc["kind"], "kind", (kind,))
    name, namespace = _metadata(doc["metadata"], "metadata")
    return doc, name, namespace


def _spec(value: Any, path: str, name: str, namespace: str | None) -> Plan:
    optional = ("serviceAccountName", "parallelism", "activeDeadlineSeconds", "podGC")
    spec = _fields(value, path, ("entrypoint", "templates"), optional)
    if "serviceAccountName" in spec:
        _text(spec["serviceAccountName"], f"{path}.serviceAccountName", RESOURCE_NAME)
    if "podGC" in spec:
        pod_gc = _fields(spec["podGC"], f"{path}.podGC", ("strategy",))
        _choice(pod_gc["strategy"], f"{path}.podGC.strategy", POD_GC)
    deadline = spec.get("activeDeadlineSeconds")
    entrypoint = _text(spec["entrypoint"], f"{path}.entrypoint")
    dag, dag_path, templates = _templates(spec["templates"], f"{path}.templates", entrypoint)
    return Plan(
        name=name,
        namespace=namespace or "default",
        entrypoint=entrypoint,
        tasks=_tasks(dag, f"{dag_path}.dag", templates),
        parallelism=_count(spec.get("parallelism", 1), f"{path}.parallelism", minimum=1),
        deadline=None
        if deadline is None
        else _count(deadline, f"{path}.activeDeadlineSeconds", minimum=1),
    )


def _templates(value: Any, path: str, entrypoint: str) -> tuple[Any, str, dict[str, PodTemplate]]:
    """The entrypoint's ``dag`` and its path, and the container templates by name."""
    dag: tuple[Any, str] | None = None
    templates: dict[str, PodTemplate] = {}
    for index, item in enumerate(_list(value, path)):
        item_path = f"{path}[{index}]"
        name = _named(item, item_path, TASK_NAME)
        if name in templates or (dag is not None and name == entrypoint):
            raise UnsupportedManifestError(f"{item_path}.name", f"second template {name!r}")
        if name == entrypoint:
            dag = _fields(item, item_path, ("name", "dag"))["dag"], item_path
        else:
            templates[name] = _pod_template(item, item_path)
    if dag is None:
        raise UnsupportedManifestError(path, f"no dag template named {entrypoint!r}")
    return dag[0], dag[1], templates


def _pod_template(value: dict[str, Any], path: str) -> PodTemplate:
    optional = ("inputs", "outputs", "retryStrategy", "activeDeadlineSeconds")
    template = _fields(value, path, ("name", "container"), optional)
    inputs = _inputs(template.get("inputs"), f"{path}.inputs")
    scope = [*GLOBALS, *(f"inputs.parameters.{name}" for name in inputs)]
    deadline = template.get("activeDeadlineSeconds")
    return PodTemplate(
        name=template["name"],
        inputs=inputs,
        outputs=_outputs(template.get("outputs"), f"{path}.outputs"),
        retries=_retries(template.get("retryStrategy"), f"{path}.retryStrategy"),
        deadline=None
        if deadline is None
        else _count(deadline, f"{path}.activeDeadlineSeconds", minimum=1, int_or_string=True),
        pod=_pod(template["container"], f"{path}.container", scope),
    )


def _parameters(value: Any, path: str, fields: Collection[str]) -> list[dict[str, Any]]:
    """``{parameters: [...]}`` whose items have exactly ``fields`` and unique names."""
    items = _list(_fields(value, path, ("parameters",))["parameters"], f"{path}.parameters")
    names: set[str] = set()
    for index, item in enumerate(items):
        item_path = f"{path}.parameters[{index}]"
        name = _named(item, item_path, PARAM_NAME)
        _fields(item, item_path, fields)
        if name in names:
            raise UnsupportedManifestError(f"{item_path}.name", f"second parameter {name!r}")
        names.add(name)
    return items


def _inputs(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(item["name"] for item in _parameters(value, path, ("name",)))


def _outputs(value: Any, path: str) -> tuple[Output, ...]:
    if value is None:
        return ()
    outputs = []
    for index, item in enumerate(_parameters(value, path, ("name", "valueFrom"))):
        item_path = f"{path}.parameters[{index}].valueFrom"
        file = _text(_fields(item["valueFrom"], item_path, ("path",))["path"], f"{item_path}.path")
        if not file.startswith("/"):
            raise UnsupportedManifestError(f"{item_path}.path", "expected an absolute path")
        outputs.append(Output(item["name"], file))
    return tuple(outputs)


def _retries(value: Any, path: str) -> int | None:
    if value is None:
        return None
    strategy = _fields(value, path, ("limit", "retryPolicy"))
    _choice(strategy["retryPolicy"], f"{path}.retryPolicy", ("Always",))
    return _count(strategy["limit"], f"{path}.limit", int_or_string=True)


def _pod(value: Any, path: str, scope: Collection[str]) -> PodSpec:
    optional = ("args", "env", "envFrom", "resources")
    container = _fields(value, path, ("image", "command"), optional)
    image = container["image"]
    if not isinstance(image, str) or not PINNED.fullmatch(image):
        raise UnsupportedManifestError(f"{path}.image", f"not pinned by digest: {image!r}")
    memory, cpus = _resources(container.get("resources", {}), f"{path}.resources")
    return PodSpec(
        image=image,
        command=_argv(container["command"], f"{path}.command", scope),
        args=_argv(container.get("args", []), f"{path}.args", scope),
        env=tuple(_env(container.get("env", []), f"{path}.env", scope)),
        env_from=tuple(_env_from(container.get("envFrom", []), f"{path}.envFrom")),
        memory=None if memory is None else int(memory),
        nano_cpus=None if cpus is None else int(cpus * 1e9),
    )


def _argv(value: Any, path: str, scope: Collection[str]) -> tuple[str, ...]:
    items = _list(value, path)
    return tuple(_check_references(item, f"{path}[{i}]", scope) for i, item in enumerate(items))


def _env(value: Any, path: str, scope: Collection[str]) -> Iterator[EnvVar]:
    for index, item in enumerate(_list(value, path)):
        item_path = f"{path}[{index}]"
        entry = _fields(item, item_path, ("name",), ("value", "valueFrom"))
        name = _text(entry["name"], f"{item_path}.name")
        if ("value" in entry) == ("valueFrom" in entry):
            raise UnsupportedManifestError(item_path, "expected one of value, valueFrom")
        if "value" in entry:
            yield EnvVar(name, _check_references(entry["value"], f"{item_path}.value", scope))
            continue
        ref_path = f"{item_path}.valueFrom.secretKeyRef"
        source = _fields(entry["valueFrom"], f"{item_path}.valueFrom", ("secretKeyRef",))
        ref = _fields(source["secretKeyRef"], ref_path, ("name", "key"))
        secret = (_text(ref["name"], f"{ref_path}.name"), _text(ref["key"], f"{ref_path}.key"))
        yield EnvVar(name, secret=secret)


def _env_from(value: Any, path: str) -> Iterator[str]:
    for index, item in enumerate(_list(value, path)):
        ref_path = f"{path}[{index}].secretRef"
        ref = _fields(
            _fields(item, f"{path}[{index}]", ("secretRef",))["secretRef"], ref_path, ("name",)
        )
        yield _text(ref["name"], f"{ref_path}.name")


def _resources(value: Any, path: str) -> tuple[float | None, float | None]:
    """The memory limit in bytes and the CPU limit in CPUs; requests are
    checked only."""
    resources = _fields(value, path, optional=("requests", "limits"))
    limits: dict[str, float] = {}
    for kind, amounts in resources.items():
        for resource, amount in _fields(amounts, f"{path}.{kind}", (), ("cpu", "memory")).items():
            limits[f"{kind}.{resource}"] = _quantity(amount, f"{path}.{kind}.{resource}")
    return limits.get("limits.memory"), limits.get("limits.cpu")


def _quantity(value: Any, path: str) -> float:
    match = QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise UnsupportedManifestError(path, f"not a Kubernetes quantity: {value!r}")
    return float(match[1]) * SCALE.get(match[2] or "", 1)


def _tasks(value: Any, path: str, templates: Mapping[str, PodTemplate]) -> tuple[Task, ...]:
    raw: dict[str, tuple[dict[str, Any], str]] = {}
    for index, item in enumerate(_list(_fields(value, path, ("tasks",))["tasks"], f"{path}.tasks")):
        item_path = f"{path}.tasks[{index}]"
        name = _named(item, item_path, TASK_NAME)
        task = _fields(item, item_path, ("name", "template"), ("depends", "arguments", "when"))
        if name in raw:
            raise UnsupportedManifestError(f"{item_path}.name", f"second task {name!r}")
        if task["template"] not in templates:
            raise UnsupportedManifestError(f"{item_path}.template", "no such container template")
        raw[name] = task, item_path
    depends = {
        name: _depends(task.get("depends"), f"{p}.depends", raw) for name, (task, p) in raw.items()
    }
    ancestors: dict[str, set[str]] = {}
    for name in _topological(depends, f"{path}.tasks"):
        ancestors[name] = set(depends[name]).union(*(ancestors[d] for d in depends[name]))
    return tuple(
        _task(raw[name], depends[name], ancestors[name], raw, templates) for name in ancestors
    )


def _depends(value: Any, path: str, tasks: Collection[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    names = _text(value, path).split(" && ")
    if any(name not in tasks for name in names) or len(set(names)) != len(names):
        raise UnsupportedManifestError(path, f"{value!r} is not task names joined by ' && '")
    return tuple(names)


def _topological(depends: Mapping[str, tuple[str, ...]], path: str) -> list[str]:
    order: list[str] = []
    remaining = dict(depends)
    while remaining:
        ready = [name for name, deps in remaining.items() if set(deps) <= set(order)]
        if not ready:
            raise UnsupportedManifestError(path, f"dependency cycle among {', '.join(remaining)}")
        order += ready
        for name in ready:
            del remaining[name]
    return order


def _task(
    raw: tuple[dict[str, Any], str],
    depends: tuple[str, ...],
    ancestors: set[str],
    tasks: Mapping[str, tuple[dict[str, Any], str]],
    templates: Mapping[str, PodTemplate],
) -> Task:
    item, path = raw
    template = templates[item["template"]]
    scope = [*GLOBALS]
    for ancestor in sorted(ancestors):
        outputs = templates[tasks[ancestor][0]["template"]].outputs
        scope += [f"tasks.{ancestor}.outputs.parameters.{output.name}" for output in outputs]
    arguments = _arguments(item.get("arguments"), f"{path}.arguments", scope, template)
    when = item.get("when")
    if when is not None:
        _check_references(when, f"{path}.when", scope)
        if not all(WHEN_CLAUSE.fullmatch(part) for part in when.split(" && ")):
            raise UnsupportedManifestError(
                f"{path}.when", f"{when!r} is not '{{{{…}}}} == true' clauses"
            )
    return Task(item["name"], template, depends, arguments, when)


def _arguments(
    value: Any, path: str, scope: Collection[str], template: PodTemplate
) -> tuple[tuple[str, str], ...]:
    items = [] if value is None else _parameters(value, path, ("name", "value"))
    found = {}
    for index, item in enumerate(items):
        item_path = f"{path}.parameters[{index}]"
        if item["name"] not in template.inputs:
            reason = f"template {template.name!r} declares no input {item['name']!r}"
            raise UnsupportedManifestError(f"{item_path}.name", reason)
        found[item["name"]] = _check_references(item["value"], f"{item_path}.value", scope)
    for name in template.inputs:
        if name not in found:
            raise UnsupportedManifestError(path, f"inputs.parameters.{name} was not supplied")
    return tuple((name, found[name]) for name in template.inputs)


def _cron_spec(value: Any) -> dict[str, Any]:
    optional = ("timezone", "concurrencyPolicy", "startingDeadlineSeconds", "workflowMetadata")
    spec = _fields(value, "spec", ("schedules", "workflowSpec"), optional)
    schedules = _list(spec["schedules"], "spec.schedules")
    if not schedules:
        raise UnsupportedManifestError("spec.schedules", "no schedule")
    for index, schedule in enumerate(schedules):
        if len(_text(schedule, f"spec.schedules[{index}]").split()) != 5:
            raise UnsupportedManifestError(f"spec.schedules[{index}]", "expected 5 cron fields")
    if "timezone" in spec:
        try:
            zoneinfo.ZoneInfo(_text(spec["timezone"], "spec.timezone"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise UnsupportedManifestError("spec.timezone", "unknown time zone") from exc
    _choice(spec.get("concurrencyPolicy", "Allow"), "spec.concurrencyPolicy", CONCURRENCY)
    _count(spec.get("startingDeadlineSeconds", 0), "spec.startingDeadlineSeconds")
    return spec


def workflow_from_cron(cron: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The Workflow Argo creates, named ``name``, when ``cron``'s schedule fires."""
    doc, cron_name, namespace = _document(cron, "CronWorkflow")
    spec = _cron_spec(doc["spec"])
    extra = _fields(spec.get("workflowMetadata", {}), "spec.workflowMetadata", (), ("labels",))
    labels = _string_map(extra.get("labels", {}), "spec.workflowMetadata.labels", LABEL_VALUE)
    _spec(spec["workflowSpec"], "spec.workflowSpec", _text(name, "name", RESOURCE_NAME), namespace)
    metadata: dict[str, Any] = {"name": name, "labels": {**labels, CRON_LABEL: cron_name}}
    if namespace is not None:
        metadata["namespace"] = namespace
    spec_copy = copy.deepcopy(spec["workflowSpec"])
    return {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": metadata, "spec": spec_copy}


# -- running it ---------------------------------------------------------------------------


def run_workflow(
    client: DockerClient,
    workflow: Mapping[str, Any],
    *,
    secrets: Mapping[str, Mapping[str, str]] = NO_SECRETS,
    network_mode: str = "host",
    label: str | None = None,
) -> dict[str, Any]:
    """Runs ``workflow``'s tasks as containers and returns its Argo ``status``.
    ``secrets`` are the namespace's Secrets by name; every container carries
    the label ``{label: "1"}`` when ``label`` is given."""
    from repro.images.resolve import local_image_id

    doc, name, namespace = _document(workflow, "Workflow")
    plan = _spec(doc["spec"], "spec", name, namespace)
    images = {task.template.pod.image for task in plan.tasks}
    image_ids = {image: local_image_id(image, client) for image in sorted(images)}
    labels = {label: "1"} if label else {}
    return _Runner(client, plan, secrets, network_mode, labels, image_ids).run()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _node_id(workflow: str, name: str) -> str:
    """Argo's id of the node named ``name``: FNV-1a 32 of the name."""
    if name == workflow:
        return workflow
    digest = 0x811C9DC5
    for byte in name.encode():
        digest = ((digest ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{workflow}-{digest}"


class _Runner:
    def __init__(
        self,
        client: DockerClient,
        plan: Plan,
        secrets: Mapping[str, Mapping[str, str]],
        network_mode: str,
        labels: dict[str, str],
        image_ids: Mapping[str, str],
    ) -> None:
        self.client, self.plan, self.secrets = client, plan, secrets
        self.network_mode, self.labels, self.image_ids = network_mode, labels, image_ids
        self.nodes: dict[str, dict[str, Any]] = {}
        self.phases: dict[str, str] = {}
        self.outputs: dict[str, dict[str, str]] = {}
        self.task_nodes: dict[str, str] = {}
        # The node a task's dependants hang from: the last attempt of a Retry.
        self.outbound: dict[str, str] = {}
        self.ends_at = None if plan.deadline is None else time.monotonic() + plan.deadline

    def run(self) -> dict[str, Any]:
        started = _now()
        root = self._node(self.plan.name, "DAG", self.plan.entrypoint, "Running", started, started)
        del root["boundaryID"]
        self._run_tasks()
        for task in self.plan.tasks:
            parents = [self.outbound[dep] for dep in task.depends] or [root["id"]]
            for parent in parents:
                self.nodes[parent].setdefault("children", []).append(self.task_nodes[task.name])
        failed = [phase for phase in self.phases.values() if phase in ("Failed", "Error")]
        root["phase"] = failed[0] if failed else "Succeeded"
        root["finishedAt"] = _now()
        return {
            "phase": root["phase"],
            "startedAt": started,
            "finishedAt": root["finishedAt"],
            "nodes": self.nodes,
        }

    def _run_tasks(self) -> None:
        pending = list(self.plan.tasks)
        running: dict[Future[list[Attempt]], tuple[Task, dict[str, str]]] = {}
        with ThreadPoolExecutor(max_workers=self.plan.parallelism) as pool:
            while pending or running:
                self._start_ready(pending, running, pool)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    task, arguments = running.pop(future)
                    self._record(task, arguments, future.result())

    def _start_ready(
        self,
        pending: list[Task],
        running: dict[Future[list[Attempt]], tuple[Task, dict[str, str]]],
        pool: ThreadPoolExecutor,
    ) -> None:
        # In dependency order, so that an omission reaches its dependants in the same pass.
        for task in list(pending):
            if not all(dep in self.phases for dep in task.depends):
                continue
            # A bare name in depends means Succeeded, Skipped or Daemoned.
            if any(self.phases[dep] not in ("Succeeded", "Skipped") for dep in task.depends):
                pending.remove(task)
                self._omit(task)
            elif task.when is not None and not self._holds(task.when):
                pending.remove(task)
                self._skip(task, self._resolve(task.when))
            elif len(running) < self.plan.parallelism:
                pending.remove(task)
                arguments = self._arguments(task)
                running[pool.submit(self._attempts, task, arguments)] = (task, arguments)

    def _arguments(self, task: Task) -> dict[str, str]:
        return {name: self._resolve(value) for name, value in task.arguments}

    def _resolve(self, text: str) -> str:
        values = self.plan.globals
        for upstream, outputs in self.outputs.items():
            values |= {f"tasks.{upstream}.outputs.parameters.{k}": v for k, v in outputs.items()}
        return _substitute(text, values)

    def _holds(self, when: str) -> bool:
        """The subset of govaluate repro emits: every clause is `true == true`."""
        return all(part == "true == true" for part in self._resolve(when).split(" && "))

    def _skip(self, task: Task, resolved: str) -> None:
        node = self._node(task.name, "Skipped", task.template.name, "Skipped")
        node["message"] = f"when '{resolved}' evaluated false"
        self.task_nodes[task.name] = self.outbound[task.name] = node["id"]
        self.phases[task.name] = "Skipped"

    def _attempts(self, task: Task, arguments: dict[str, str]) -> list[Attempt]:
        attempts = [self._attempt(task, arguments)]
        while attempts[-1].phase != "Succeeded" and len(attempts) <= (task.template.retries or 0):
            attempts.append(self._attempt(task, arguments))
        return attempts

    def _attempt(self, task: Task, arguments: dict[str, str]) -> Attempt:
        started = _now()
        values = self.plan.globals | {f"inputs.parameters.{k}": v for k, v in arguments.items()}
        pod = task.template.pod
        try:
            environment = self._environment(pod, values)
        except _PodConfigError as exc:
            return Attempt("Error", started, _now(), f"CreateContainerConfigError: {exc}")
        timeout, deadline_message = self._timeout(task.template)
        if timeout is not None and timeout <= 0:
            return Attempt("Failed", started, _now(), deadline_message)
        container = self._create(pod, values, environment)
        try:
            return self._run(container, task.template, started, timeout, deadline_message)
        finally:
            container.remove(force=True)

    def _create(
        self, pod: PodSpec, values: Mapping[str, str], environment: dict[str, str]
    ) -> Container:
        # An entrypoint given drops the image's command too, as Kubernetes' command does.
        return self.client.containers.create(
            self.image_ids[pod.image],
            command=[_substitute(arg, values) for arg in pod.args] or None,
            entrypoint=[_substitute(arg, values) for arg in pod.command],
            environment=environment,
            network_mode=self.network_mode,
            labels=self.labels,
            mem_limit=pod.memory,
            memswap_limit=pod.memory,  # no swap, as on Kubernetes
            nano_cpus=pod.nano_cpus,
            detach=True,
        )

    def _environment(self, pod: PodSpec, values: Mapping[str, str]) -> dict[str, str]:
        environment: dict[str, str] = {}
        for secret in pod.env_from:
            environment |= self._secret(secret)
        for var in pod.env:
            if var.secret is None:
                environment[var.name] = _substitute(var.value or "", values)
                continue
            secret, key = var.secret
            if key not in self._secret(secret):
                raise _PodConfigError(
                    f"couldn't find key {key} in Secret {self.plan.namespace}/{secret}"
                )
            environment[var.name] = self._secret(secret)[key]
        return environment

    def _secret(self, name: str) -> Mapping[str, str]:
        if name not in self.secrets:
            raise _PodConfigError(f'secret "{name}" not found')
        return self.secrets[name]

    def _timeout(self, template: PodTemplate) -> tuple[float | None, str]:
        """Seconds the pod may run, and the message when it runs out."""
        limits: list[tuple[float, str]] = []
        if template.deadline is not None:
            limits.append((template.deadline, POD_DEADLINE))
        if self.ends_at is not None:
            limits.append((self.ends_at - time.monotonic(), WORKFLOW_DEADLINE))
        return min(limits) if limits else (None, "")

    def _run(
        self,
        container: Container,
        template: PodTemplate,
        started: str,
        timeout: float | None,
        deadline_message: str,
    ) -> Attempt:
        from docker.errors import APIError
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import ReadTimeout

        try:
            container.start()
        except APIError as exc:  # say, a command the image does not have
            return Attempt("Error", started, _now(), f"StartError: {exc.explanation}")
        killed = None
        try:
            status = int(container.wait(timeout=timeout)["StatusCode"])
        except (ReadTimeout, RequestsConnectionError):
            with contextlib.suppress(APIError):  # it exited meanwhile
                container.kill()
            status = int(container.wait(timeout=API_TIMEOUT)["StatusCode"])
            killed = deadline_message
        log = container.logs().decode("utf-8", "replace")
        container.reload()
        phase, message = _verdict(container, status, killed)
        outputs, missing = _read_outputs(container, template.outputs)
        if phase == "Succeeded" and missing is not None:
            phase, message = "Failed", f"open {missing}: no such file or directory"
        return Attempt(phase, started, _now(), message, status, outputs, log)

    def _record(self, task: Task, arguments: dict[str, str], attempts: list[Attempt]) -> None:
        last = attempts[-1]
        if task.template.retries is None:
            node = self._pod_node(task, task.name, arguments, last)
            self.outbound[task.name] = node["id"]
        else:
            node = self._node(task.name, "Retry", task.template.name, last.phase)
            node["startedAt"], node["finishedAt"] = attempts[0].started, last.finished
            _set_io(node, arguments, last)
            if last.phase != "Succeeded":
                node["message"] = NO_RETRIES_LEFT
            pods = [
                self._pod_node(task, f"{task.name}({i})", arguments, attempt)["id"]
                for i, attempt in enumerate(attempts)
            ]
            node["children"] = pods
            self.outbound[task.name] = pods[-1]
        self.task_nodes[task.name] = node["id"]
        self.phases[task.name] = last.phase
        if last.phase == "Succeeded":
            self.outputs[task.name] = last.outputs

    def _pod_node(
        self, task: Task, display: str, arguments: dict[str, str], attempt: Attempt
    ) -> dict[str, Any]:
        node = self._node(display, "Pod", task.template.name, attempt.phase)
        node["startedAt"], node["finishedAt"] = attempt.started, attempt.finished
        if attempt.message:
            node["message"] = attempt.message
        _set_io(node, arguments, attempt)
        node["log"] = attempt.log  # not Argo's: for reading a failure
        return node

    def _omit(self, task: Task) -> None:
        node = self._node(task.name, "Skipped", task.template.name, "Omitted")
        node["message"] = OMITTED
        self.task_nodes[task.name] = self.outbound[task.name] = node["id"]
        self.phases[task.name] = "Omitted"

    def _node(
        self,
        display: str,
        kind: str,
        template: str,
        phase: str,
        started: str | None = None,
        finished: str | None = None,
    ) -> dict[str, Any]:
        workflow = self.plan.name
        name = workflow if display == workflow else f"{workflow}.{display}"
        node = {
            "id": _node_id(workflow, name),
            "name": name,
            "displayName": display,
            "type": kind,
            "templateName": template,
            "phase": phase,
            "boundaryID": workflow,
            "startedAt": started or _now(),
            "finishedAt": finished or _now(),
        }
        self.nodes[node["id"]] = node
        return node


def _set_io(node: dict[str, Any], arguments: dict[str, str], attempt: Attempt) -> None:
    if arguments:
        node["inputs"] = {"parameters": [{"name": k, "value": v} for k, v in arguments.items()]}
    outputs: dict[str, Any] = {}
    if attempt.outputs:
        outputs["parameters"] = [{"name": k, "value": v} for k, v in attempt.outputs.items()]
    if attempt.exit_code is not None:
        outputs["exitCode"] = str(attempt.exit_code)
    if outputs:
        node["outputs"] = outputs


def _verdict(container: Container, status: int, killed: str | None) -> tuple[str, str | None]:
    if killed is not None:
        return "Failed", killed
    if container.attrs["State"].get("OOMKilled"):
        return "Failed", f"OOMKilled (exit code {status})"
    if status != 0:
        return "Failed", f"Error (exit code {status})"
    return "Succeeded", None


def _read_outputs(
    container: Container, outputs: tuple[Output, ...]
) -> tuple[dict[str, str], str | None]:
    """The output parameters found, and the path of the first one missing."""
    values: dict[str, str] = {}
    missing = None
    for output in outputs:
        text = _read_file(container, output.path)
        if text is None:
            missing = missing or output.path
        else:
            values[output.name] = text.removesuffix("\n")
    return values, missing


def _read_file(container: Container, path: str) -> str | None:
    from docker.errors import NotFound

    try:
        chunks, _ = container.get_archive(path)
    except NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as archive:
        member = archive.next()
        file = archive.extractfile(member) if member is not None and member.isfile() else None
        return None if file is None else file.read().decode("utf-8")
