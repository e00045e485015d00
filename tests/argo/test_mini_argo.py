"""The test-side Argo interpreter (mini_argo): small Workflows in the shape
repro renders, run with the real Docker engine in ``repro-base:bookworm``.

The image is pinned as repro pins an image it built and never pushed,
``repro-base@<image id>``. A container that must observe the host while it
runs (a retry counter, a barrier, its own labels) asks a TCP server on
loopback, which host networking lets it reach.
"""

from __future__ import annotations

import contextlib
import re
import socketserver
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from docker_testing import remove_containers
from mini_argo import UnsupportedManifestError, run_workflow, workflow_from_cron

WORKFLOW = "wf-test"
WRITE = (
    "import os, sys; os.makedirs('/tmp/out', exist_ok=True); open('/tmp/out/value', 'w').write({})"
)
ASK = "import socket; reply = socket.create_connection(('127.0.0.1', {})).recv(64).decode(); "


@pytest.fixture(scope="session")
def image(docker_engine: Any, base_image: str) -> str:
    return f"{base_image.split(':')[0]}@{docker_engine.images.get(base_image).id}"


@pytest.fixture
def label(docker_engine: Any) -> Iterator[str]:
    """A label key unique to the test; its containers are removed afterwards."""
    key = f"repro.test.mini-argo.{uuid.uuid4().hex}"
    yield key
    remove_containers(docker_engine, key)


def template(
    image: str,
    name: str,
    code: str,
    *argv: str,
    inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = ("value",),
    container: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    command = ["python3", "-c", code, *argv]
    made: dict[str, Any] = {
        "name": name,
        "container": {"image": image, "command": command, **(container or {})},
        **fields,
    }
    if inputs:
        made["inputs"] = {"parameters": [{"name": name} for name in inputs]}
    if outputs:
        paths = [{"name": n, "valueFrom": {"path": f"/tmp/out/{n}"}} for n in outputs]
        made["outputs"] = {"parameters": paths}
    return made


def task(name: str, depends: str | None = None, **arguments: str) -> dict[str, Any]:
    made: dict[str, Any] = {"name": name, "template": name}
    if depends:
        made["depends"] = depends
    if arguments:
        made["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in arguments.items()]}
    return made


def workflow(
    tasks: list[dict[str, Any]], *templates: dict[str, Any], **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": WORKFLOW, "labels": {"app.kubernetes.io/managed-by": "repro"}},
        "spec": {
            "entrypoint": "dag",
            "templates": [{"name": "dag", "dag": {"tasks": tasks}}, *templates],
            **spec,
        },
    }


def node(status: dict[str, Any], display: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        n for n in status["nodes"].values() if n["displayName"] == display
    ]
    assert len(found) == 1, f"{len(found)} nodes named {display}: {status['nodes']}"
    return found[0]


def outputs(found: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in found["outputs"].get("parameters", [])}


@contextlib.contextmanager
def loopback(reply: Callable[[], str]) -> Iterator[int]:
    """A TCP server on loopback answering each connection with ``reply()``;
    yields its port."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.sendall(reply().encode())

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler) as server:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()


def test_diamond_passes_parameters_downstream(docker_engine: Any, image: str, label: str) -> None:
    upstream = "{{tasks.a.outputs.parameters.value}}"
    manifest = workflow(
        [
            task("a"),
            task("b", "a", x=upstream),
            task("c", "a", x=upstream),
            task(
                "d",
                "b && c",
                left="{{tasks.b.outputs.parameters.value}}",
                right="{{tasks.c.outputs.parameters.value}}",
            ),
        ],
        template(image, "a", WRITE.format("'21'")),
        template(
            image,
            "b",
            WRITE.format("str(int(sys.argv[1]) * 2)"),
            "{{inputs.parameters.x}}",
            inputs=("x",),
        ),
        template(
            image,
            "c",
            WRITE.format("str(int(os.environ['X']) + 1)"),
            inputs=("x",),
            container={"env": [{"name": "X", "value": "{{inputs.parameters.x}}"}]},
        ),
        template(
            image,
            "d",
            WRITE.format("sys.argv[1] + '+' + sys.argv[2]"),
            inputs=("left", "right"),
            container={"args": ["{{inputs.parameters.left}}", "{{inputs.parameters.right}}"]},
        ),
        parallelism=2,
    )
    status = run_workflow(docker_engine, manifest, label=label)
    assert status["phase"] == "Succeeded"
    assert outputs(node(status, "d")) == {"value": "42+22"}


def test_nodes_are_shaped_as_argo_reports_them(docker_engine: Any, image: str, label: str) -> None:
    manifest = workflow(
        [task("a"), task("b", "a", x="literal")],
        template(image, "a", WRITE.format("'out\\n'")),
        template(image, "b", "pass", inputs=("x",), outputs=()),
    )
    status = run_workflow(docker_engine, manifest, label=label)
    root, a, b = status["nodes"][WORKFLOW], node(status, "a"), node(status, "b")
    assert root["type"] == "DAG" and root["templateName"] == "dag"
    assert root["children"] == [a["id"]] and a["children"] == [b["id"]]
    assert a["name"] == f"{WORKFLOW}.a" and a["id"].startswith(f"{WORKFLOW}-")
    assert (a["type"], a["templateName"], a["boundaryID"]) == ("Pod", "a", WORKFLOW)
    assert a["outputs"] == {"parameters": [{"name": "value", "value": "out"}], "exitCode": "0"}
    assert b["inputs"] == {"parameters": [{"name": "x", "value": "literal"}]}


def test_node_ids_hash_the_node_name_with_fnv1a_32() -> None:
    from mini_argo import _node_id

    # Published FNV-1a 32 test vectors.
    assert _node_id("wf", "a") == f"wf-{0xE40C292C}"
    assert _node_id("wf", "foobar") == f"wf-{0xBF9CF968}"
    assert _node_id("wf", "wf") == "wf"


def test_failed_task_omits_its_dependants(docker_engine: Any, image: str, label: str) -> None:
    manifest = workflow(
        [task("a"), task("b", "a")],
        template(image, "a", "raise SystemExit(3)"),
        template(image, "b", WRITE.format("'never'")),
    )
    status = run_workflow(docker_engine, manifest, label=label)
    a, b = node(status, "a"), node(status, "b")
    assert status["phase"] == "Failed"
    assert (a["phase"], a["message"], a["outputs"]) == (
        "Failed",
        "Error (exit code 3)",
        {"exitCode": "3"},
    )
    assert (b["type"], b["phase"], b["message"]) == (
        "Skipped",
        "Omitted",
        "omitted: depends condition not met",
    )


def test_retry_limit_gives_limit_plus_one_attempts(
    docker_engine: Any, image: str, label: str
) -> None:
    strategy = {"limit": "2", "retryPolicy": "Always"}
    manifest = workflow(
        [task("a")], template(image, "a", "raise SystemExit(1)", retryStrategy=strategy)
    )
    status = run_workflow(docker_engine, manifest, label=label)
    retry = node(status, "a")
    assert status["phase"] == "Failed"
    assert (retry["type"], retry["phase"], retry["message"]) == (
        "Retry",
        "Failed",
        "No more retries left",
    )
    attempts = [status["nodes"][child] for child in retry["children"]]
    assert [(n["displayName"], n["type"], n["phase"]) for n in attempts] == [
        (f"a({i})", "Pod", "Failed") for i in range(3)
    ]


def test_retry_succeeds_on_a_later_attempt(docker_engine: Any, image: str, label: str) -> None:
    calls = iter(range(1, 10))
    with loopback(lambda: str(next(calls))) as port:
        code = ASK.format(port) + "assert reply == '2', reply; " + WRITE.format("reply")
        strategy = {"limit": 3, "retryPolicy": "Always"}
        manifest = workflow([task("a")], template(image, "a", code, retryStrategy=strategy))
        status = run_workflow(docker_engine, manifest, label=label)
    retry = node(status, "a")
    assert (status["phase"], retry["phase"]) == ("Succeeded", "Succeeded")
    assert [status["nodes"][child]["phase"] for child in retry["children"]] == [
        "Failed",
        "Succeeded",
    ]
    assert outputs(retry) == {"value": "2"}


def test_template_deadline_kills_the_pod(docker_engine: Any, image: str, label: str) -> None:
    slow = template(image, "a", "import time; time.sleep(60)", outputs=(), activeDeadlineSeconds=1)
    status = run_workflow(docker_engine, workflow([task("a")], slow), label=label)
    a = node(status, "a")
    assert (status["phase"], a["phase"]) == ("Failed", "Failed")
    assert a["message"] == "Pod was active on the node longer than the specified deadline"


def test_workflow_deadline_stops_the_running_step(
    docker_engine: Any, image: str, label: str
) -> None:
    slow = template(image, "a", "import time; time.sleep(60)", outputs=())
    manifest = workflow([task("a")], slow, activeDeadlineSeconds=1)
    status = run_workflow(docker_engine, manifest, label=label)
    assert node(status, "a")["message"] == "Step exceeded its deadline"


def test_env_from_secret_reaches_the_container(docker_engine: Any, image: str, label: str) -> None:
    container = {"envFrom": [{"secretRef": {"name": "s3"}}]}
    reader = template(
        image, "a", WRITE.format("os.environ['AWS_ACCESS_KEY_ID']"), container=container
    )
    secrets = {"s3": {"AWS_ACCESS_KEY_ID": "key-from-secret"}}
    status = run_workflow(
        docker_engine, workflow([task("a")], reader), secrets=secrets, label=label
    )
    assert outputs(node(status, "a")) == {"value": "key-from-secret"}


def test_secret_key_ref_reaches_the_container(docker_engine: Any, image: str, label: str) -> None:
    ref = {"secretKeyRef": {"name": "s3", "key": "token"}}
    container = {"env": [{"name": "TOKEN", "valueFrom": ref}]}
    reader = template(image, "a", WRITE.format("os.environ['TOKEN']"), container=container)
    secrets = {"s3": {"token": "t0k3n"}}
    status = run_workflow(
        docker_engine, workflow([task("a")], reader), secrets=secrets, label=label
    )
    assert outputs(node(status, "a")) == {"value": "t0k3n"}


def test_missing_secret_errors_the_node(docker_engine: Any, image: str, label: str) -> None:
    container = {"envFrom": [{"secretRef": {"name": "s3"}}]}
    reader = template(image, "a", WRITE.format("'x'"), container=container)
    status = run_workflow(docker_engine, workflow([task("a")], reader), label=label)
    a = node(status, "a")
    assert (status["phase"], a["phase"]) == ("Error", "Error")
    assert a["message"] == 'CreateContainerConfigError: secret "s3" not found'


def test_missing_output_file_fails_the_node(docker_engine: Any, image: str, label: str) -> None:
    status = run_workflow(
        docker_engine, workflow([task("a")], template(image, "a", "pass")), label=label
    )
    a = node(status, "a")
    assert (status["phase"], a["phase"]) == ("Failed", "Failed")
    assert a["message"] == "open /tmp/out/value: no such file or directory"


def test_command_missing_from_the_image_errors_the_node(
    docker_engine: Any, image: str, label: str
) -> None:
    missing = template(image, "a", "", outputs=(), container={"command": ["no-such-command"]})
    status = run_workflow(docker_engine, workflow([task("a")], missing), label=label)
    a = node(status, "a")
    assert (status["phase"], a["phase"]) == ("Error", "Error")
    assert re.match(r"StartError: .*no-such-command", a["message"]), a["message"]


def test_parallelism_runs_tasks_together(docker_engine: Any, image: str, label: str) -> None:
    barrier = threading.Barrier(2, timeout=20)

    def meet() -> str:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return "alone"
        return "together"

    with loopback(meet) as port:
        code = ASK.format(port) + "assert reply == 'together', reply"
        tasks = [task("a"), task("b")]
        both = [template(image, name, code, outputs=()) for name in ("a", "b")]
        status = run_workflow(docker_engine, workflow(tasks, *both, parallelism=2), label=label)
    assert status["phase"] == "Succeeded", status


def test_containers_are_labelled_limited_and_removed(
    docker_engine: Any, image: str, label: str
) -> None:
    seen: list[dict[str, Any]] = []

    def inspect() -> str:
        seen.extend(
            c.attrs["HostConfig"] for c in docker_engine.containers.list(filters={"label": label})
        )
        return "seen"

    with loopback(inspect) as port:
        limits = {"limits": {"memory": "64Mi", "cpu": "500m"}, "requests": {"cpu": "100m"}}
        pod = template(image, "a", ASK.format(port), outputs=(), container={"resources": limits})
        status = run_workflow(docker_engine, workflow([task("a")], pod), label=label)
    assert status["phase"] == "Succeeded"
    assert [(c["Memory"], c["NanoCpus"], c["NetworkMode"]) for c in seen] == [
        (64 * 2**20, 500_000_000, "host")
    ]
    assert docker_engine.containers.list(all=True, filters={"label": label}) == []


def _base(image: str) -> dict[str, Any]:
    return workflow(
        [task("a"), task("b", "a", x="{{tasks.a.outputs.parameters.value}}")],
        template(image, "a", WRITE.format("'1'")),
        template(image, "b", "pass", "{{inputs.parameters.x}}", inputs=("x",), outputs=()),
    )


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Sets the field at a dotted ``path`` (list items as ``[i]``)."""

    def change(doc: dict[str, Any]) -> None:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
        target: Any = doc
        for key in keys[:-1]:
            target = target[key]
        if value is None:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value

    return change


TASK_B = "spec.templates[0].dag.tasks[1]"
CONTAINER_A = "spec.templates[1].container"


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("metadata.generateName", "wf-", "metadata.generateName: unsupported field"),
        (f"{CONTAINER_A}.volumeMounts", [], f"{CONTAINER_A}.volumeMounts: unsupported field"),
        (f"{TASK_B}.continueOn", {"failed": True}, f"{TASK_B}.continueOn: unsupported field"),
        (f"{TASK_B}.when", "1 == 1", f"{TASK_B}.when: '1 == 1' is not"),
        (
            "spec.templates[1].retryStrategy",
            {"limit": 1, "retryPolicy": "Always", "backoff": {}},
            "spec.templates[1].retryStrategy.backoff: unsupported field",
        ),
        (f"{TASK_B}.depends", "a.Succeeded", f"{TASK_B}.depends: 'a.Succeeded' is not task names"),
        (f"{TASK_B}.depends", "a || a", f"{TASK_B}.depends: 'a || a' is not task names"),
        (
            f"{TASK_B}.arguments.parameters[0].value",
            "{{tasks.a.outputs.parameters.nope}}",
            f"{TASK_B}.arguments.parameters[0].value: cannot resolve",
        ),
        (f"{TASK_B}.depends", None, f"{TASK_B}.arguments.parameters[0].value: cannot resolve"),
        (
            "spec.templates[2].container.command[3]",
            "{{inputs.parameters.y}}",
            "spec.templates[2].container.command[3]: cannot resolve",
        ),
        (
            f"{CONTAINER_A}.image",
            "repro-base:bookworm",
            f"{CONTAINER_A}.image: not pinned by digest",
        ),
        (
            "spec.templates[0].dag.tasks[0].depends",
            "b",
            "spec.templates[0].dag.tasks: dependency cycle",
        ),
    ],
)
def test_unsupported_manifest_is_refused_with_its_path(
    docker_engine: Any, image: str, label: str, path: str, value: Any, match: str
) -> None:
    manifest = _base(image)
    _set(path, value)(manifest)
    with pytest.raises(UnsupportedManifestError, match=re.escape(match)):
        run_workflow(docker_engine, manifest, label=label)
    assert docker_engine.containers.list(all=True, filters={"label": label}) == []


def _cron(image: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "repro-flow", "namespace": "ml", "labels": {"team": "a"}},
        "spec": {
            "schedules": ["0 3 * * *"],
            "timezone": "Europe/Paris",
            "concurrencyPolicy": "Forbid",
            "workflowMetadata": {"labels": {"repro.dev/pipeline": "flow"}},
            "workflowSpec": _base(image)["spec"],
        },
    }


def test_workflow_from_cron_is_what_the_schedule_creates() -> None:
    cron = _cron("repro-base@sha256:" + "a" * 64)
    made = workflow_from_cron(cron, "repro-flow-1700000000")
    assert made["metadata"] == {
        "name": "repro-flow-1700000000",
        "namespace": "ml",
        "labels": {
            "repro.dev/pipeline": "flow",
            "workflows.argoproj.io/cron-workflow": "repro-flow",
        },
    }
    assert made["spec"] == cron["spec"]["workflowSpec"]
    assert made["spec"] is not cron["spec"]["workflowSpec"]


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("spec.schedule", "0 3 * * *", "spec.schedule: unsupported field"),
        ("spec.schedules", ["0 3 * *"], "spec.schedules[0]: expected 5 cron fields"),
        ("spec.timezone", "Mars/Olympus", "spec.timezone: unknown time zone"),
        ("spec.concurrencyPolicy", "Sometimes", "spec.concurrencyPolicy: 'Sometimes' is not one"),
        (
            "spec.workflowSpec.templates[1].container.image",
            "repro-base:bookworm",
            "spec.workflowSpec.templates[1].container.image: not pinned by digest",
        ),
    ],
)
def test_workflow_from_cron_refuses_what_repro_does_not_emit(
    path: str, value: Any, match: str
) -> None:
    cron = _cron("repro-base@sha256:" + "a" * 64)
    _set(path, value)(cron)
    with pytest.raises(UnsupportedManifestError, match=re.escape(match)):
        workflow_from_cron(cron, "repro-flow-1")
