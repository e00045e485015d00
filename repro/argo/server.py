"""A small client of the Argo Server's HTTP API: submit a Workflow, read it
back, create or update a CronWorkflow.

The server is found as the argo CLI finds it (``ARGO_SERVER``,
``ARGO_SECURE``, ``ARGO_INSECURE_SKIP_VERIFY``, ``ARGO_BASE_HREF``,
``ARGO_TOKEN``), so a shell set up for ``argo submit`` works unchanged. The
token only ever comes from the environment and never enters a message.
Standard library only: this runs in CI jobs and pods where every dependency
is a cost.
"""

from __future__ import annotations

import copy
import http.client
import ipaddress
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Final

from repro.errors import ReproError, UsageError

__all__ = [
    "DEFAULT_NAMESPACE",
    "ArgoServer",
    "ArgoServerBadResponseError",
    "ArgoServerNotConfiguredError",
    "ArgoServerRejectedError",
    "ArgoServerUnreachableError",
    "ArgoUnauthorizedError",
    "ArgoWorkflowNotFoundError",
    "InvalidArgoServerUrlError",
    "apply_cron_workflow",
    "get_workflow",
    "list_workflows",
    "server_from_environment",
    "submit_workflow",
]

# kubectl's namespace when neither the project nor the environment names one.
DEFAULT_NAMESPACE: Final = "default"
_WORKFLOWS: Final = "/api/v1/workflows"
_CRON_WORKFLOWS: Final = "/api/v1/cron-workflows"
_CONFIG_KEY: Final = "`server` under [tool.repro.argo]"
_GRPC_NOT_FOUND: Final = 5
_MAX_REASON: Final = 300  # characters of a non-JSON error body worth showing
# strconv.ParseBool's spellings, which the argo CLI accepts.
_FALSE: Final = frozenset({"0", "f", "false"})
_TRUE: Final = frozenset({"1", "t", "true"})


@dataclass(frozen=True)
class ArgoServer:
    """Where and as whom to reach the Argo Server; ``url`` has no trailing
    slash and includes any base path."""

    url: str
    token: str | None = field(repr=False)
    namespace: str
    verify_tls: bool = True
    timeout: float = 30.0


class ArgoServerNotConfiguredError(UsageError):
    def __init__(self) -> None:
        super().__init__(
            "no Argo Server is configured: set ARGO_SERVER (e.g. localhost:2746) "
            f"or {_CONFIG_KEY} in pyproject.toml"
        )


class InvalidArgoServerUrlError(UsageError, ValueError):
    def __init__(self, url: str, source: str) -> None:
        self.url = _display(url)
        self.source = source
        super().__init__(
            f"{source} is {self.url!r}, which is not an Argo Server address: "
            "give host:port (e.g. localhost:2746) or an http(s):// URL"
        )


class ArgoServerRejectedError(ReproError):
    """The server answered, and the answer was no (HTTP 3xx, 4xx or 5xx)."""

    def __init__(
        self, *, url: str, namespace: str, action: str, status: int, reason: str, code: int | None
    ) -> None:
        self.url = url
        self.namespace = namespace
        self.action = action
        self.status = status
        self.reason = reason
        self.code = code  # the gRPC status code of Argo's JSON error body, if any
        super().__init__(self._line())

    def _line(self) -> str:
        return (
            f"the Argo Server at {self.url} rejected {self.action} "
            f"(HTTP {self.status}): {self.reason}"
        )


class ArgoUnauthorizedError(ArgoServerRejectedError, PermissionError):
    def _line(self) -> str:
        return (
            f"the Argo Server at {self.url} refused {self.action} (HTTP {self.status}: "
            f"{self.reason}); set ARGO_TOKEN to a token allowed to use namespace "
            f"{self.namespace!r} (e.g. from `kubectl create token <service account>`)"
        )


class ArgoWorkflowNotFoundError(ArgoServerRejectedError, LookupError):
    def __init__(self, name: str, rejection: ArgoServerRejectedError) -> None:
        self.name = name
        super().__init__(
            url=rejection.url,
            namespace=rejection.namespace,
            action=rejection.action,
            status=rejection.status,
            reason=rejection.reason,
            code=rejection.code,
        )

    def _line(self) -> str:
        return (
            f"workflow {self.name!r} is not in namespace {self.namespace!r} on the Argo Server "
            f"at {self.url}; check the name (`argo list -n {self.namespace}`): a finished "
            "workflow may have been deleted or moved to the workflow archive"
        )


class ArgoServerUnreachableError(ReproError, ConnectionError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"cannot reach the Argo Server at {url}: {reason}; check ARGO_SERVER "
            f"(or {_CONFIG_KEY}) and that the server is up"
        )


class ArgoServerBadResponseError(ReproError):
    def __init__(self, url: str, action: str, detail: str) -> None:
        self.url = url
        self.action = action
        self.detail = detail
        super().__init__(
            f"the server at {url} answered {action} with {detail}, not Argo's JSON; check that "
            "ARGO_SERVER is the Argo Server (and ARGO_BASE_HREF, when it is served under a path)"
        )


def server_from_environment(
    configured_url: str | None,
    configured_namespace: str | None,
    environ: Mapping[str, str] = os.environ,
) -> ArgoServer:
    """The server to talk to. ``ARGO_SERVER`` wins over the project's URL
    (where the server is reachable from depends on the machine: a
    port-forward on a laptop, a service name in CI); the project's namespace
    wins over ``ARGO_NAMESPACE`` because it is also written into the
    manifests, and the server refuses a manifest of another namespace."""
    secure = environ.get("ARGO_SECURE", "").strip().lower() not in _FALSE
    return ArgoServer(
        url=_server_url(configured_url, environ, secure=secure),
        token=_token(environ),
        namespace=configured_namespace or environ.get("ARGO_NAMESPACE") or DEFAULT_NAMESPACE,
        verify_tls=environ.get("ARGO_INSECURE_SKIP_VERIFY", "").strip().lower() not in _TRUE,
    )


def submit_workflow(server: ArgoServer, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Create the Workflow; returns it as the server stored it."""
    body = {"namespace": server.namespace, "workflow": manifest}
    action = f"the submission of workflow {_name_of(manifest)!r}"
    return _call(server, "POST", _path(_WORKFLOWS, server.namespace), body, action)


def get_workflow(server: ArgoServer, name: str) -> dict[str, Any]:
    action = f"the request for workflow {name!r}"
    try:
        return _call(server, "GET", _path(_WORKFLOWS, server.namespace, name), None, action)
    except ArgoServerRejectedError as error:
        # Only Argo's own NotFound: a 404 page of a proxy means a wrong URL.
        if error.status == 404 and error.code == _GRPC_NOT_FOUND:
            raise ArgoWorkflowNotFoundError(name, error) from error
        raise


def list_workflows(server: ArgoServer, label_selector: str) -> list[dict[str, Any]]:
    """The Workflows whose labels match ``label_selector`` (``key=value,...``)."""
    query = urllib.parse.urlencode({"listOptions.labelSelector": label_selector})
    path = f"{_path(_WORKFLOWS, server.namespace)}?{query}"
    found = _call(server, "GET", path, None, f"the list of workflows {label_selector!r}")
    items = found.get("items") or []  # Argo sends null for none
    return [item for item in items if isinstance(item, dict)]


def apply_cron_workflow(server: ArgoServer, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Create the CronWorkflow, or replace the one of the same name (as
    ``kubectl apply`` would); returns it as the server stored it."""
    name = str(manifest["metadata"]["name"])
    body = {"namespace": server.namespace, "cronWorkflow": manifest}
    try:
        return _call(
            server,
            "POST",
            _path(_CRON_WORKFLOWS, server.namespace),
            body,
            f"the creation of cron workflow {name!r}",
        )
    except ArgoServerRejectedError as error:
        if error.status != 409:
            raise
    return _replace_cron_workflow(server, name, manifest)


def _replace_cron_workflow(
    server: ArgoServer, name: str, manifest: Mapping[str, Any]
) -> dict[str, Any]:
    path = _path(_CRON_WORKFLOWS, server.namespace, name)
    current = _call(server, "GET", path, None, f"the request for cron workflow {name!r}")
    # An update must name the version it replaces (optimistic concurrency).
    updated = copy.deepcopy(dict(manifest))
    metadata = updated.setdefault("metadata", {})
    metadata["resourceVersion"] = current.get("metadata", {}).get("resourceVersion")
    body = {"namespace": server.namespace, "name": name, "cronWorkflow": updated}
    return _call(server, "PUT", path, body, f"the update of cron workflow {name!r}")


def _server_url(configured: str | None, environ: Mapping[str, str], *, secure: bool) -> str:
    from_environment = environ.get("ARGO_SERVER", "").strip()
    if from_environment:
        # As in the argo CLI, the base path goes with ARGO_SERVER; a URL in
        # the project's config is complete as written.
        base = _absolute(from_environment, "ARGO_SERVER", secure=secure)
        return base + _base_href(environ.get("ARGO_BASE_HREF", ""))
    if configured and configured.strip():
        return _absolute(configured.strip(), _CONFIG_KEY, secure=secure)
    raise ArgoServerNotConfiguredError()


def _absolute(address: str, source: str, *, secure: bool) -> str:
    """``address`` as a URL: the argo CLI takes host:port and a scheme from
    ARGO_SECURE; a full URL keeps its own scheme."""
    if "://" not in address:
        address = ("https://" if secure else "http://") + address
    parts = urllib.parse.urlsplit(address)
    try:
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError as error:
        raise InvalidArgoServerUrlError(address, source) from error
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise InvalidArgoServerUrlError(address, source)
    return address.rstrip("/")


def _base_href(value: str) -> str:
    path = value.strip().strip("/")
    return f"/{path}" if path else ""


def _token(environ: Mapping[str, str]) -> str | None:
    """The bearer token of ARGO_TOKEN, which the argo CLI documents with its
    ``Bearer`` prefix and users often set without it."""
    value = environ.get("ARGO_TOKEN", "").strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


def _path(collection: str, *names: str) -> str:
    return "/".join([collection, *(urllib.parse.quote(name, safe="") for name in names)])


def _name_of(manifest: Mapping[str, Any]) -> str:
    metadata = manifest.get("metadata", {})
    return str(metadata.get("name") or metadata.get("generateName", ""))


def _call(server: ArgoServer, method: str, path: str, body: object, action: str) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        server.url + path, data=data, method=method, headers=_headers(server)
    )
    status, headers, raw = _exchange(server, request)
    if status >= 300:
        raise _rejection(server, action, status, headers, raw)
    return _json_object(server, action, raw)


def _headers(server: ArgoServer) -> dict[str, str]:
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if server.token:
        headers["Authorization"] = f"Bearer {server.token}"
    return headers


def _exchange(server: ArgoServer, request: urllib.request.Request) -> tuple[int, Message, bytes]:
    try:
        return _open(server, request)
    except (OSError, http.client.HTTPException) as error:
        raise ArgoServerUnreachableError(_display(server.url), _why(error, server)) from error


def _open(server: ArgoServer, request: urllib.request.Request) -> tuple[int, Message, bytes]:
    try:
        with _opener(server).open(request, timeout=server.timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect of a POST as a GET without its body,
    and report the page it lands on as the created workflow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener(server: ArgoServer) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context()
    if not server.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.HTTPSHandler(context=context),
        _RefuseRedirects(),
    ]
    # Go, and so the argo CLI, never sends loopback requests through a
    # proxy: a port-forwarded server must work behind a corporate proxy.
    if _is_loopback(urllib.parse.urlsplit(server.url).hostname or ""):
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _why(error: BaseException, server: ArgoServer) -> str:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return f"no answer within {server.timeout:g} s"
    text = _redact(str(reason) or type(reason).__name__, server.token)
    if isinstance(reason, ssl.SSLError):
        return (
            f"{text} (for a plain-HTTP server set ARGO_SECURE=false; for a self-signed "
            "certificate ARGO_INSECURE_SKIP_VERIFY=true)"
        )
    return text


def _rejection(
    server: ArgoServer, action: str, status: int, headers: Message, raw: bytes
) -> ArgoServerRejectedError:
    document = _loads(raw)
    code = document.get("code") if isinstance(document, dict) else None
    error_class = ArgoUnauthorizedError if status in (401, 403) else ArgoServerRejectedError
    return error_class(
        url=_display(server.url),
        namespace=server.namespace,
        action=action,
        status=status,
        reason=_redact(_reason(status, headers, document, raw), server.token),
        code=code if isinstance(code, int) else None,
    )


def _reason(status: int, headers: Message, document: object, raw: bytes) -> str:
    if 300 <= status < 400:
        return (
            f"redirected to {headers.get('Location', 'another address')}; "
            "set ARGO_SERVER to the address it redirects to"
        )
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        return str(document["message"])
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text[:_MAX_REASON] or "(no message)"


def _json_object(server: ArgoServer, action: str, raw: bytes) -> dict[str, Any]:
    document = _loads(raw)
    if isinstance(document, dict):
        return document
    detail = f"{len(raw)} bytes that are not a JSON object" if raw.strip() else "an empty body"
    raise ArgoServerBadResponseError(_display(server.url), action, detail)


def _loads(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _redact(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def _display(url: str) -> str:
    """``url`` without any user:password@ (DESIGN: URLs lose userinfo)."""
    parts = urllib.parse.urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
