"""The Argo Server client against a fake Argo Server on loopback (real HTTP),
and the way it finds the server from the environment."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from argo_server_testing import FakeArgoServer, succeeded_status

from repro.argo.server import (
    ArgoServer,
    ArgoServerBadResponseError,
    ArgoServerNotConfiguredError,
    ArgoServerRejectedError,
    ArgoServerUnreachableError,
    ArgoUnauthorizedError,
    ArgoWorkflowNotFoundError,
    InvalidArgoServerUrlError,
    apply_cron_workflow,
    get_workflow,
    server_from_environment,
    submit_workflow,
)

TOKEN = "s3cr3t-token-value"


def workflow(name: str = "repro-train-01jq8z3k5m7n9p") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "repro"}},
        "spec": {
            "entrypoint": "dag",
            "templates": [
                {
                    "name": "dag",
                    "dag": {
                        "tasks": [
                            {"name": "load", "template": "load"},
                            {"name": "train", "template": "train", "depends": "load"},
                        ]
                    },
                },
                {"name": "load", "container": {"image": "x@sha256:" + "0" * 64}},
                {"name": "train", "container": {"image": "x@sha256:" + "0" * 64}},
            ],
        },
    }


def cron_workflow(schedule: str = "0 3 * * *") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "repro-train"},
        "spec": {
            "schedules": [schedule],
            "concurrencyPolicy": "Forbid",
            "workflowSpec": workflow()["spec"],
        },
    }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def canned_server(status: int, body: bytes, **headers: str) -> Iterator[str]:
    """Something on loopback that is not the Argo Server: whatever is asked,
    it answers ``status`` with ``body``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self.do_POST()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- submit and get ---------------------------------------------------------


def test_submit_posts_the_manifest_with_its_namespace_and_token(
    argo_server: FakeArgoServer,
) -> None:
    submit_workflow(argo_server.client(), workflow())
    method, path, headers, body = argo_server.requests[-1]
    assert (method, path) == ("POST", "/api/v1/workflows/argo")
    assert headers["Authorization"] == f"Bearer {argo_server.token}"
    assert body == {"namespace": "argo", "workflow": workflow()}


def test_submit_stores_exactly_the_manifest_posted(argo_server: FakeArgoServer) -> None:
    created = submit_workflow(argo_server.client(), workflow())
    stored = argo_server.finished(created["metadata"]["name"])
    del stored["status"]
    assert stored == workflow()


def test_submit_returns_the_created_workflow(argo_server: FakeArgoServer) -> None:
    created = submit_workflow(argo_server.client(), workflow("repro-a"))
    assert created["metadata"]["name"] == "repro-a"
    assert created["spec"] == workflow()["spec"]


def test_submit_with_generate_name_gets_a_name(argo_server: FakeArgoServer) -> None:
    manifest = workflow()
    manifest["metadata"] = {"generateName": "repro-train-"}
    created = submit_workflow(argo_server.client(), manifest)
    assert created["metadata"]["name"].startswith("repro-train-")
    assert len(created["metadata"]["name"]) == len("repro-train-") + 5


def test_get_shows_running_until_the_executor_returns(argo_server: FakeArgoServer) -> None:
    release = threading.Event()
    argo_server.executor = lambda wf: {"phase": "Succeeded"} if release.wait(10) else {}
    submit_workflow(argo_server.client(), workflow("repro-a"))
    assert get_workflow(argo_server.client(), "repro-a")["status"]["phase"] == "Running"
    release.set()
    argo_server.finished("repro-a")
    assert get_workflow(argo_server.client(), "repro-a")["status"] == {"phase": "Succeeded"}


def test_get_returns_the_status_the_executor_gave(argo_server: FakeArgoServer) -> None:
    argo_server.executor = lambda wf: succeeded_status(wf, {"train": {"repro-result": "{}"}})
    submit_workflow(argo_server.client(), workflow("repro-a"))
    argo_server.finished("repro-a")
    nodes = get_workflow(argo_server.client(), "repro-a")["status"]["nodes"]
    train = next(node for node in nodes.values() if node["displayName"] == "train")
    assert train["outputs"]["parameters"] == [{"name": "repro-result", "value": "{}"}]


def test_default_executor_succeeds_every_task(argo_server: FakeArgoServer) -> None:
    submit_workflow(argo_server.client(), workflow("repro-a"))
    status = argo_server.finished("repro-a")["status"]
    assert status["phase"] == "Succeeded"
    tasks = {n["displayName"]: n["phase"] for n in status["nodes"].values() if n["type"] == "Pod"}
    assert tasks == {"load": "Succeeded", "train": "Succeeded"}


def test_get_of_an_unknown_workflow_is_not_found(argo_server: FakeArgoServer) -> None:
    with pytest.raises(ArgoWorkflowNotFoundError, match=r"workflow 'nope' is not in namespace"):
        get_workflow(argo_server.client(), "nope")


def test_a_404_that_is_not_argos_is_not_a_missing_workflow() -> None:
    with canned_server(404, b"<html>404 page not found</html>") as url:
        server = ArgoServer(url=url, token=TOKEN, namespace="argo")
        with pytest.raises(ArgoServerRejectedError, match=r"HTTP 404.*404 page not found") as info:
            get_workflow(server, "repro-a")
    assert not isinstance(info.value, ArgoWorkflowNotFoundError)


# -- rejections ---------------------------------------------------------------


def test_rejected_submission_shows_the_servers_message(argo_server: FakeArgoServer) -> None:
    manifest = {**workflow(), "kind": "Wrokflow"}
    with pytest.raises(
        ArgoServerRejectedError,
        match=r"rejected the submission of workflow .* \(HTTP 400\): the kind in the data "
        r"\(Wrokflow\) does not match the expected kind \(Workflow\)",
    ):
        submit_workflow(argo_server.client(), manifest)


def test_submitting_an_existing_name_is_rejected(argo_server: FakeArgoServer) -> None:
    submit_workflow(argo_server.client(), workflow("repro-a"))
    with pytest.raises(ArgoServerRejectedError, match=r'HTTP 409\): .*"repro-a" already exists'):
        submit_workflow(argo_server.client(), workflow("repro-a"))


def test_no_token_is_unauthorized(argo_server: FakeArgoServer) -> None:
    with pytest.raises(ArgoUnauthorizedError, match=r"HTTP 401.*set ARGO_TOKEN"):
        submit_workflow(argo_server.client(token=None), workflow())
    assert "Authorization" not in argo_server.requests[-1][2]


def test_a_wrong_token_is_unauthorized_and_not_shown(argo_server: FakeArgoServer) -> None:
    with pytest.raises(ArgoUnauthorizedError, match=r"HTTP 401") as info:
        get_workflow(argo_server.client(token=TOKEN), "repro-a")
    assert TOKEN not in str(info.value)


def test_another_namespace_is_forbidden(argo_server: FakeArgoServer) -> None:
    with pytest.raises(ArgoUnauthorizedError, match=r"HTTP 403.*namespace 'ml'"):
        submit_workflow(argo_server.client(namespace="ml"), workflow())


def test_a_token_the_server_echoes_is_masked() -> None:
    body = json.dumps({"code": 16, "message": f"bad token {TOKEN}"}).encode()
    with (
        canned_server(401, body) as url,
        pytest.raises(ArgoUnauthorizedError, match=r"bad token \*\*\*") as info,
    ):
        submit_workflow(ArgoServer(url=url, token=TOKEN, namespace="argo"), workflow())
    assert TOKEN not in str(info.value)


def test_a_plain_text_error_is_shown_as_text() -> None:
    with (
        canned_server(502, b"Bad Gateway\n") as url,
        pytest.raises(ArgoServerRejectedError, match=r"\(HTTP 502\): Bad Gateway$"),
    ):
        submit_workflow(ArgoServer(url=url, token=TOKEN, namespace="argo"), workflow())


def test_a_redirect_is_not_followed() -> None:
    location = "https://argo.example/api/v1/workflows/argo"
    with (
        canned_server(302, b"", Location=location) as url,
        pytest.raises(ArgoServerRejectedError, match=rf"HTTP 302\): redirected to {location}"),
    ):
        submit_workflow(ArgoServer(url=url, token=TOKEN, namespace="argo"), workflow())


def test_an_answer_that_is_not_json_is_a_bad_response() -> None:
    with (
        canned_server(200, b"<!DOCTYPE html><title>Argo</title>") as url,
        pytest.raises(ArgoServerBadResponseError, match=r"not a JSON object.*ARGO_BASE_HREF"),
    ):
        submit_workflow(ArgoServer(url=url, token=TOKEN, namespace="argo"), workflow())


# -- unreachable ------------------------------------------------------------------


def test_a_server_that_is_down_fails_fast() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    with pytest.raises(ArgoServerUnreachableError, match=rf"cannot reach the Argo Server at {url}"):
        submit_workflow(ArgoServer(url=url, token=TOKEN, namespace="argo"), workflow())
    assert time.monotonic() - started < 5


def test_unreachable_error_does_not_show_the_token() -> None:
    server = ArgoServer(url=f"http://127.0.0.1:{closed_port()}", token=TOKEN, namespace="argo")
    with pytest.raises(ArgoServerUnreachableError, match="refused") as info:
        get_workflow(server, "repro-a")
    assert TOKEN not in str(info.value)


def test_a_server_that_does_not_answer_times_out() -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        server = ArgoServer(url=url, token=TOKEN, namespace="argo", timeout=0.5)
        with pytest.raises(ArgoServerUnreachableError, match=r"no answer within 0.5 s"):
            get_workflow(server, "repro-a")


def test_tls_to_a_plain_http_server_suggests_argo_secure(argo_server: FakeArgoServer) -> None:
    url = argo_server.url.replace("http://", "https://")
    with pytest.raises(ArgoServerUnreachableError, match=r"ARGO_SECURE=false"):
        get_workflow(argo_server.client(url=url), "repro-a")


def test_loopback_is_not_sent_through_a_proxy(
    argo_server: FakeArgoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert urllib.request.getproxies()["http"]  # urllib on its own would use it
    submit_workflow(argo_server.client(), workflow())
    assert list(argo_server.workflows) == [workflow()["metadata"]["name"]]


# -- cron workflows -----------------------------------------------------------------


def test_apply_cron_creates_it(argo_server: FakeArgoServer) -> None:
    applied = apply_cron_workflow(argo_server.client(), cron_workflow())
    assert applied["metadata"]["resourceVersion"]
    stored = argo_server.cron_workflows["repro-train"]
    del stored["metadata"]["resourceVersion"]
    assert stored == cron_workflow()


def test_apply_cron_replaces_an_existing_one(argo_server: FakeArgoServer) -> None:
    apply_cron_workflow(argo_server.client(), cron_workflow("0 3 * * *"))
    applied = apply_cron_workflow(argo_server.client(), cron_workflow("30 4 * * MON"))
    assert argo_server.cron_workflows["repro-train"]["spec"]["schedules"] == ["30 4 * * MON"]
    assert applied["spec"]["schedules"] == ["30 4 * * MON"]
    calls = [(method, path) for method, path, _, _ in argo_server.requests]
    assert calls == [
        ("POST", "/api/v1/cron-workflows/argo"),
        ("POST", "/api/v1/cron-workflows/argo"),
        ("GET", "/api/v1/cron-workflows/argo/repro-train"),
        ("PUT", "/api/v1/cron-workflows/argo/repro-train"),
    ]


def test_apply_cron_leaves_the_callers_manifest_alone(argo_server: FakeArgoServer) -> None:
    apply_cron_workflow(argo_server.client(), cron_workflow())
    manifest = cron_workflow("30 4 * * *")
    apply_cron_workflow(argo_server.client(), manifest)
    assert manifest == cron_workflow("30 4 * * *")


def test_apply_cron_shows_a_rejection(argo_server: FakeArgoServer) -> None:
    manifest = {**cron_workflow(), "apiVersion": "argoproj.io/v1"}
    with pytest.raises(
        ArgoServerRejectedError,
        match=r"creation of cron workflow 'repro-train' \(HTTP 400\): the API version",
    ):
        apply_cron_workflow(argo_server.client(), manifest)


@pytest.mark.parametrize(("version", "status"), [("0", 409), (None, 400)])
def test_fake_refuses_an_update_of_a_stale_or_no_version(
    argo_server: FakeArgoServer, version: str | None, status: int
) -> None:
    apply_cron_workflow(argo_server.client(), cron_workflow())
    stale = cron_workflow()
    stale["metadata"]["resourceVersion"] = version
    body = {"namespace": "argo", "name": "repro-train", "cronWorkflow": stale}
    request = urllib.request.Request(
        f"{argo_server.url}/api/v1/cron-workflows/argo/repro-train",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {argo_server.token}"},
    )
    with pytest.raises(urllib.error.HTTPError, match=str(status)):
        urllib.request.urlopen(request, timeout=5)


# -- the server from the environment ------------------------------------------------


def test_argo_server_host_and_port_is_https() -> None:
    server = server_from_environment(None, None, {"ARGO_SERVER": "localhost:2746"})
    assert server.url == "https://localhost:2746"


def test_argo_secure_false_is_plain_http() -> None:
    environ = {"ARGO_SERVER": "localhost:2746", "ARGO_SECURE": "false"}
    assert server_from_environment(None, None, environ).url == "http://localhost:2746"


def test_a_url_keeps_its_scheme() -> None:
    environ = {"ARGO_SERVER": "http://argo.example:2746/", "ARGO_SECURE": "true"}
    assert server_from_environment(None, None, environ).url == "http://argo.example:2746"


def test_the_environment_wins_over_the_configured_url() -> None:
    environ = {"ARGO_SERVER": "localhost:2746"}
    server = server_from_environment("https://argo.example", None, environ)
    assert server.url == "https://localhost:2746"


def test_the_configured_url_is_used_without_argo_server() -> None:
    assert server_from_environment("argo.example:443", None, {}).url == "https://argo.example:443"


def test_argo_base_href_is_appended_to_argo_server() -> None:
    environ = {"ARGO_SERVER": "argo.example:443", "ARGO_BASE_HREF": "/argo/"}
    assert server_from_environment(None, None, environ).url == "https://argo.example:443/argo"


@pytest.mark.parametrize("value", ["Bearer abc.def", "abc.def", "  bearer   abc.def "])
def test_the_token_is_taken_with_or_without_bearer(value: str) -> None:
    environ = {"ARGO_SERVER": "localhost:2746", "ARGO_TOKEN": value}
    assert server_from_environment(None, None, environ).token == "abc.def"


def test_no_token_is_none() -> None:
    assert server_from_environment("localhost:2746", None, {}).token is None


def test_the_token_is_not_in_the_repr() -> None:
    server = server_from_environment(None, None, {"ARGO_SERVER": "a:1", "ARGO_TOKEN": TOKEN})
    assert TOKEN not in repr(server)


def test_insecure_skip_verify_turns_off_tls_checks() -> None:
    environ = {"ARGO_SERVER": "localhost:2746", "ARGO_INSECURE_SKIP_VERIFY": "true"}
    assert server_from_environment(None, None, environ).verify_tls is False


def test_tls_is_verified_by_default() -> None:
    assert server_from_environment("localhost:2746", None, {}).verify_tls is True


def test_the_configured_namespace_wins_over_argo_namespace() -> None:
    environ = {"ARGO_SERVER": "localhost:2746", "ARGO_NAMESPACE": "argo"}
    assert server_from_environment(None, "ml", environ).namespace == "ml"


def test_argo_namespace_is_used_without_a_configured_one() -> None:
    environ = {"ARGO_SERVER": "localhost:2746", "ARGO_NAMESPACE": "argo"}
    assert server_from_environment(None, None, environ).namespace == "argo"


def test_the_namespace_defaults_to_default() -> None:
    assert server_from_environment("localhost:2746", None, {}).namespace == "default"


def test_no_server_anywhere_says_what_to_set() -> None:
    with pytest.raises(
        ArgoServerNotConfiguredError, match=r"set ARGO_SERVER .* `server` under \[tool.repro.argo\]"
    ):
        server_from_environment(None, None, {"ARGO_TOKEN": TOKEN})


@pytest.mark.parametrize("url", ["ftp://argo.example", "https://", "argo.example:port"])
def test_a_malformed_address_is_refused(url: str) -> None:
    with pytest.raises(InvalidArgoServerUrlError, match=r"ARGO_SERVER is .* not an Argo Server"):
        server_from_environment(None, None, {"ARGO_SERVER": url})


def test_a_malformed_address_hides_its_password() -> None:
    with pytest.raises(InvalidArgoServerUrlError, match=r"ftp://argo\.example") as info:
        server_from_environment("ftp://me:hunter2@argo.example", None, {})
    assert "hunter2" not in str(info.value)
