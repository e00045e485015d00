"""A fake Argo Server on loopback: the subset of its HTTP API that repro uses
(create and get Workflows; create, get and update CronWorkflows), answering
as Argo does, errors included (grpc-gateway's ``{"code", "message"}``
bodies).

Only the server is fake: clients talk real HTTP to it. A submitted workflow
is stored exactly as posted (plus its ``status``, and its name when made
from ``generateName``) and "runs" in a background thread: ``executor`` gets
the workflow and returns its final status; until then the phase is
``Running``. The token grants access to one namespace, as a service
account's would.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from repro.argo.server import ArgoServer

__all__ = ["FakeArgoServer", "argo_server", "succeeded_status"]

API_VERSION = "argoproj.io/v1alpha1"
_GRPC_INVALID_ARGUMENT = 3
_GRPC_NOT_FOUND = 5
_GRPC_ALREADY_EXISTS = 6
_GRPC_PERMISSION_DENIED = 7
_GRPC_UNAUTHENTICATED = 16
_GENERATED_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' generateName alphabet
_FINISH_TIMEOUT = 120.0  # an executor may run real containers

Executor = Callable[[dict[str, Any]], dict[str, Any]]
Request = tuple[str, str, dict[str, str], Any]


class _ApiError(Exception):
    """An error answer of the API: HTTP status, gRPC code, message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def succeeded_status(
    workflow: Mapping[str, Any], outputs: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, Any]:
    """The status Argo records when every task of the entrypoint's DAG
    succeeded; ``outputs`` gives output parameters by task and name. Node
    ids are Argo's (the workflow's name, then an FNV-1a hash of the node's)."""
    name = workflow["metadata"]["name"]
    now = _now()
    nodes = {name: _node(name, name, "DAG", workflow["spec"]["entrypoint"], now)}
    for task in _dag_tasks(workflow):
        node = _node(name, f"{name}.{task['name']}", "Pod", task["template"], now)
        node["boundaryID"] = name
        parameters = (outputs or {}).get(task["name"])
        if parameters:
            node["outputs"] = {
                "parameters": [{"name": key, "value": value} for key, value in parameters.items()],
                "exitCode": "0",
            }
        nodes[node["id"]] = node
    done = len(nodes) - 1
    return {
        "phase": "Succeeded",
        "startedAt": now,
        "finishedAt": now,
        "progress": f"{done}/{done}",
        "nodes": nodes,
    }


@dataclass
class FakeArgoServer:
    url: str
    token: str
    namespace: str
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    cron_workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    executor: Executor = succeeded_status
    # Exceptions the executor raised, re-raised when the test ends.
    executor_errors: list[BaseException] = field(default_factory=list)
    server_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    _runs: dict[str, threading.Thread] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _versions: int = 0

    def client(self, **overrides: Any) -> ArgoServer:
        """A client configuration for this server (token, namespace)."""
        settings = {"url": self.url, "token": self.token, "namespace": self.namespace}
        return ArgoServer(**{**settings, **overrides})

    def finished(self, name: str, timeout: float = _FINISH_TIMEOUT) -> dict[str, Any]:
        """The stored workflow once its executor has returned."""
        run = self._runs[name]
        run.join(timeout)
        assert not run.is_alive(), f"the executor of {name} still runs after {timeout} s"
        with self._lock:
            return copy.deepcopy(self.workflows[name])

    # -- the API (called by the request handler, under no lock) --------------

    def create_workflow(self, namespace: str, body: Any) -> dict[str, Any]:
        workflow = _posted(body, "workflow", "Workflow", namespace)
        with self._lock:
            name = self._new_name(workflow, self.workflows, "workflows")
            workflow["status"] = {"phase": "Running", "startedAt": _now()}
            self.workflows[name] = workflow
            answer = copy.deepcopy(workflow)
            run = self._runs[name] = threading.Thread(target=self._execute, args=(name,))
        run.start()
        return answer

    def get_workflow(self, name: str) -> dict[str, Any]:
        with self._lock:
            return self._served(_stored(self.workflows, "workflows", name))

    def _served(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """A stored object as the API answers with it: its server fields set."""
        served = copy.deepcopy(dict(stored))
        served["metadata"].update(self.server_fields.get(served["metadata"]["name"], {}))
        return served

    def list_workflows(self, selector: str) -> dict[str, Any]:
        wanted = dict(pair.split("=", 1) for pair in selector.split(",") if pair)
        with self._lock:
            items = [
                self._served(workflow)
                for workflow in self.workflows.values()
                if wanted.items() <= (workflow["metadata"].get("labels") or {}).items()
            ]
        return {"items": items or None}  # Argo sends null for none

    def trigger_cron(self, cron_name: str, workflow_name: str) -> str:
        """What the controller does when a schedule fires: a Workflow made
        from the CronWorkflow, run by the executor."""
        from mini_argo import workflow_from_cron

        with self._lock:
            cron = copy.deepcopy(_stored(self.cron_workflows, "cronworkflows", cron_name))
        cron["metadata"].pop("resourceVersion", None)
        workflow = workflow_from_cron(cron, workflow_name)
        return str(
            self.create_workflow(workflow["metadata"]["namespace"], {"workflow": workflow})[
                "metadata"
            ]["name"]
        )

    def create_cron_workflow(self, namespace: str, body: Any) -> dict[str, Any]:
        cron = _posted(body, "cronWorkflow", "CronWorkflow", namespace)
        with self._lock:
            name = self._new_name(cron, self.cron_workflows, "cronworkflows")
            return self._store_cron(name, cron)

    def get_cron_workflow(self, name: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(_stored(self.cron_workflows, "cronworkflows", name))

    def update_cron_workflow(self, namespace: str, name: str, body: Any) -> dict[str, Any]:
        cron = _posted(body, "cronWorkflow", "CronWorkflow", namespace)
        given = cron["metadata"].get("name")
        if given != name:
            raise _ApiError(
                400,
                _GRPC_INVALID_ARGUMENT,
                f"the name of the object ({given}) does not match the name on the URL ({name})",
            )
        with self._lock:
            current = _stored(self.cron_workflows, "cronworkflows", name)
            _check_version(cron, current, name)
            return self._store_cron(name, cron)

    def _store_cron(self, name: str, cron: dict[str, Any]) -> dict[str, Any]:
        self._versions += 1
        cron["metadata"]["resourceVersion"] = str(self._versions)
        self.cron_workflows[name] = cron
        return copy.deepcopy(cron)

    def _new_name(self, manifest: dict[str, Any], store: Mapping[str, Any], plural: str) -> str:
        metadata = manifest["metadata"]
        if not metadata.get("name") and metadata.get("generateName"):
            suffix = "".join(secrets.choice(_GENERATED_SUFFIX) for _ in range(5))
            metadata["name"] = metadata["generateName"] + suffix
        name = metadata.get("name")
        if not name:
            raise _ApiError(
                400,
                _GRPC_INVALID_ARGUMENT,
                f'{manifest["kind"]}.argoproj.io "" is invalid: metadata.name: Required value: '
                "name or generateName is required",
            )
        if name in store:
            raise _ApiError(
                409, _GRPC_ALREADY_EXISTS, f'{plural}.argoproj.io "{name}" already exists'
            )
        # The API server's own fields, kept apart: what was posted is stored as it is.
        self.server_fields[str(name)] = {"uid": str(uuid.uuid4()), "creationTimestamp": _now()}
        return str(name)

    def _execute(self, name: str) -> None:
        with self._lock:
            workflow = copy.deepcopy(self.workflows[name])
        del workflow["status"]
        try:
            status = self.executor(workflow)
        # The executor is test code in another thread: whatever it raises
        # must fail the test, not vanish with the thread.
        except Exception as error:
            self.executor_errors.append(error)
            status = {"phase": "Error", "message": f"the executor raised {error!r}"}
        with self._lock:
            self.workflows[name]["status"] = status

    def join(self) -> None:
        for run in self._runs.values():
            run.join(_FINISH_TIMEOUT)


def _posted(body: Any, key: str, kind: str, namespace: str) -> dict[str, Any]:
    """The manifest of a create or update request, checked as the
    Kubernetes API checks it before Argo sees it."""
    manifest = body.get(key) if isinstance(body, dict) else None
    if not isinstance(manifest, dict):
        raise _ApiError(400, _GRPC_INVALID_ARGUMENT, f"{key} body not specified")
    if manifest.get("apiVersion") != API_VERSION:
        raise _ApiError(
            400,
            _GRPC_INVALID_ARGUMENT,
            f"the API version in the data ({manifest.get('apiVersion')}) does not match "
            f"the expected API version ({API_VERSION})",
        )
    if manifest.get("kind") != kind:
        raise _ApiError(
            400,
            _GRPC_INVALID_ARGUMENT,
            f"the kind in the data ({manifest.get('kind')}) does not match "
            f"the expected kind ({kind})",
        )
    metadata = manifest.setdefault("metadata", {})
    if metadata.get("namespace", namespace) != namespace:
        raise _ApiError(
            400,
            _GRPC_INVALID_ARGUMENT,
            "the namespace of the provided object does not match the namespace sent on the request",
        )
    return manifest


def _stored(store: Mapping[str, dict[str, Any]], plural: str, name: str) -> dict[str, Any]:
    if name not in store:
        raise _ApiError(404, _GRPC_NOT_FOUND, f'{plural}.argoproj.io "{name}" not found')
    return store[name]


def _check_version(cron: Mapping[str, Any], current: Mapping[str, Any], name: str) -> None:
    given = cron["metadata"].get("resourceVersion")
    if not given:
        raise _ApiError(
            400,
            _GRPC_INVALID_ARGUMENT,
            f'CronWorkflow.argoproj.io "{name}" is invalid: metadata.resourceVersion: '
            "Invalid value: 0x0: must be specified for an update",
        )
    if given != current["metadata"]["resourceVersion"]:
        raise _ApiError(
            409,
            _GRPC_ALREADY_EXISTS,
            f'Operation cannot be fulfilled on cronworkflows.argoproj.io "{name}": the object '
            "has been modified; please apply your changes to the latest version and try again",
        )


def _dag_tasks(workflow: Mapping[str, Any]) -> list[dict[str, Any]]:
    spec = workflow["spec"]
    for template in spec["templates"]:
        if template["name"] == spec["entrypoint"]:
            return list(template.get("dag", {}).get("tasks", []))
    return []


def _node(workflow: str, name: str, kind: str, template: str, now: str) -> dict[str, Any]:
    return {
        "id": workflow if name == workflow else f"{workflow}-{_fnv1a32(name)}",
        "name": name,
        "displayName": name.rpartition(".")[2],
        "type": kind,
        "templateName": template,
        "phase": "Succeeded",
        "startedAt": now,
        "finishedAt": now,
    }


def _fnv1a32(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read ``requests`` instead."""

    def _answer(self, method: str) -> None:
        fake = self.server.fake
        body = self._body()
        fake.requests.append((method, self.path, dict(self.headers.items()), copy.deepcopy(body)))
        try:
            self._check_token(fake)
            path, _, query = self.path.partition("?")
            document = _route(fake, method, path, body, urllib.parse.parse_qs(query))
        except _ApiError as error:
            self._send(error.status, {"code": error.code, "message": error.message})
        else:
            self._send(200, document)

    def _body(self) -> Any:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _check_token(self, fake: FakeArgoServer) -> None:
        if self.headers.get("Authorization") != f"Bearer {fake.token}":
            raise _ApiError(
                401,
                _GRPC_UNAUTHENTICATED,
                "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/",
            )

    def _send(self, status: int, document: Any) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _route(
    fake: FakeArgoServer, method: str, path: str, body: Any, query: Mapping[str, list[str]]
) -> dict[str, Any]:
    parts = path.strip("/").split("/")
    if parts[:2] != ["api", "v1"] or len(parts) not in (4, 5):
        raise _ApiError(404, _GRPC_NOT_FOUND, "Not Found")
    collection, namespace, name = parts[2], parts[3], (parts[4] if len(parts) == 5 else None)
    if namespace != fake.namespace:
        raise _ApiError(
            403,
            _GRPC_PERMISSION_DENIED,
            f"{collection.replace('-', '')}.argoproj.io is forbidden: User "
            f'"system:serviceaccount:{fake.namespace}:repro" cannot access resources '
            f'in the namespace "{namespace}"',
        )
    handlers: dict[tuple[str, str, bool], Callable[[], dict[str, Any]]] = {
        ("POST", "workflows", False): lambda: fake.create_workflow(namespace, body),
        ("GET", "workflows", True): lambda: fake.get_workflow(str(name)),
        ("GET", "workflows", False): lambda: fake.list_workflows(
            query.get("listOptions.labelSelector", [""])[0]
        ),
        ("POST", "cron-workflows", False): lambda: fake.create_cron_workflow(namespace, body),
        ("GET", "cron-workflows", True): lambda: fake.get_cron_workflow(str(name)),
        ("PUT", "cron-workflows", True): lambda: fake.update_cron_workflow(
            namespace, str(name), body
        ),
    }
    handler = handlers.get((method, collection, name is not None))
    if handler is None:
        raise _ApiError(404, _GRPC_NOT_FOUND, "Not Found")
    return handler()


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeArgoServer


@pytest.fixture
def argo_server() -> Iterator[FakeArgoServer]:
    """A fake Argo Server on a free loopback port, fresh for each test."""
    http_server = _HttpServer(("127.0.0.1", 0), _Handler)
    host, port = http_server.server_address[:2]
    fake = FakeArgoServer(
        url=f"http://{host}:{port}", token=secrets.token_hex(16), namespace="argo"
    )
    http_server.fake = fake
    # A short poll interval: shutdown() waits for it at the end of every test.
    serving = threading.Thread(target=http_server.serve_forever, args=(0.02,), daemon=True)
    serving.start()
    try:
        yield fake
    finally:
        http_server.shutdown()
        http_server.server_close()
        serving.join()
        fake.join()
    assert not fake.executor_errors, (
        f"the fake Argo Server's executor raised: {fake.executor_errors}"
    )
