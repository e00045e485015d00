"""The report and the UI over a run whose params, tags and metric names
hold HTML and script (as a record pulled from a shared remote could), and
the UI asked for by foreign Host names (DNS rebinding): no payload may
reach a page unescaped, no page may fail, and every foreign Host is
refused."""

from __future__ import annotations

import copy
import http.client
import json
import re
import socket
import time
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import quote

from benchmarks.campaign.craft import canonical, new_run_id
from benchmarks.campaign.proc import Proc, repro, start_repro
from benchmarks.campaign.report import Check, Row
from benchmarks.campaign.world import World, latest_run, must, quickstart_project

__all__ = ["host_headers", "xss"]

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(2)>",
    "quote": '"><svg onload=alert(3)>',
}
_LINK = re.compile(r"""href=["'](/[^"'#]*)""")


def _hostile_project(world: World, name: str) -> tuple[Path, str]:
    """The quickstart after a run, plus a copy of that run whose params,
    tags and a metric's name are markup."""
    project = quickstart_project(world.fresh(name) / "quickstart")
    must(repro(project, "run"), "the quickstart run")
    run = latest_run(project)
    if not world.quick:  # a history worth browsing: a replay, a run with other params
        must(repro(project, "replay", run, "--verify"), "a replay")
        must(repro(project, "run", "-p", "n_estimators=40"), "a second run")
    runs = project / ".repro" / "runs"
    doc: dict[str, Any] = json.loads((runs / f"{run}.json").read_text())
    hostile = copy.deepcopy(doc)
    hostile["id"] = new_run_id()
    hostile["params"][PAYLOADS["script"]] = PAYLOADS["img"]
    hostile["tags"] = {"note": PAYLOADS["script"], PAYLOADS["quote"]: "x"}
    step = hostile["steps"]["evaluate"]
    step["metrics"] = {PAYLOADS["img"]: 1.5}
    step["tags"] = {"x": PAYLOADS["quote"]}
    (runs / f"{hostile['id']}.json").write_bytes(canonical(hostile))
    return project, str(hostile["id"])


def _raw_payloads(html: str) -> list[str]:
    return [name for name, payload in PAYLOADS.items() if payload in html]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(project: Path) -> tuple[Proc, int]:
    port = _free_port()
    proc = start_repro(project, "ui", "--port", str(port), timeout=900)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not proc.running():
            raise RuntimeError(f"repro ui ended: {proc.wait().brief()}")
        try:
            status, _ = _get(port, "/")
            if status:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill9()
    raise RuntimeError("repro ui did not answer within 60 s")


def _get(port: int, path: str, host: str | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def xss(world: World, row: Row, trials: int) -> None:
    project, hostile = _hostile_project(world, "xss")
    check = Check("repro report of the hostile run")
    out = project.parent / "report.html"
    made = repro(project, "report", hostile, "-o", str(out))
    if check.expect(made.ok, f"report: {made.brief()}"):
        raw = _raw_payloads(out.read_text(errors="replace"))
        check.expect(not raw, f"payloads unescaped in the report: {raw}")
    row.add(check.trial())
    proc, port = _serve(project)
    try:
        seeds = [f"/runs/{hostile}", "/", "/runs", "/metrics", "/models", "/compare"]
        seeds += _reflected()
        pages = _crawl(port, seeds, trials - 1)
        for path, status, body in pages:
            check = Check(f"GET {path[:80]}")
            check.expect(status < 500, f"answered {status}")
            raw = _raw_payloads(body)
            check.expect(not raw, f"payloads unescaped: {raw}")
            row.add(check.trial())
    finally:
        proc.kill9()
        proc.wait()
    row.note(
        f"payloads in params, tags and a metric name of a copied run; the report, then "
        f"{len(pages)} UI pages ({len(_reflected())} with a payload in the address, the rest "
        "reached by following links)"
    )


def _reflected() -> list[str]:
    """Addresses that carry a payload themselves (reflected XSS)."""
    payload = quote(PAYLOADS["script"], safe="")
    paths = [f"{route}/{payload}" for route in ("/runs", "/models", "/trees", "/artifacts")]
    paths += [f"/objects/{payload}", f"/trees/{'0' * 32}/files/{payload}"]
    queries = ["/runs?tag=note%3D", "/runs?pipeline=", "/metrics?metric=", "/compare?runs="]
    return paths + [query + payload for query in queries]


def _crawl(port: int, seeds: list[str], limit: int) -> list[tuple[str, int, str]]:
    """Pages breadth-first from ``seeds``, following same-site links
    (static files and downloads skipped), up to ``limit`` pages."""
    queue = deque(seeds)
    seen = set(seeds)
    pages: list[tuple[str, int, str]] = []
    while queue and len(pages) < limit:
        path = queue.popleft()
        status, body = _get(port, path)
        pages.append((path, status, body))
        for link in _LINK.findall(body):
            link = link.replace("&amp;", "&")
            if link.startswith("/static") or "download" in link or link in seen:
                continue
            seen.add(link)
            queue.append(link)
    return pages


FOREIGN_HOSTS = (
    "evil.example",
    "evil.example:{port}",
    "attacker.example:80",
    "127.0.0.1.nip.io:{port}",
    "localhost.evil.example:{port}",
    "evil-localhost:{port}",
    "10.0.0.1:{port}",
    "192.168.1.10:{port}",
    "172.17.0.1:{port}",
    "0.0.0.0:{port}",
    "8.8.8.8",
    "[2001:db8::1]:{port}",
    "example.com:{port}",
    "xn--e1afmkfd.xn--p1ai",
    "rebind.127.0.0.1.sslip.io:{port}",
    "evil.example<script>alert(1)</script>",
    "localhost@evil.example",
    "127.0.0.1:{port}@evil.example",
)
LOOPBACK_HOSTS = ("127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}")


def host_headers(world: World, row: Row, trials: int) -> None:
    project = quickstart_project(world.fresh("host-headers") / "quickstart")
    must(repro(project, "run"), "the quickstart run")
    proc, port = _serve(project)
    try:
        for host in LOOPBACK_HOSTS:
            status, _ = _get(port, "/", host.format(port=port))
            if not 200 <= status < 400:
                raise RuntimeError(f"the UI answers {status} to Host {host.format(port=port)}")
        for host in FOREIGN_HOSTS[: max(1, trials)]:
            name = host.format(port=port)
            check = Check(f"Host: {name}")
            status, body = _get(port, "/", name)
            check.expect(400 <= status < 500, f"answered {status}, not a refusal")
            check.expect(not _raw_payloads(body), "the Host header came back unescaped")
            row.add(check.trial())
    finally:
        proc.kill9()
        proc.wait()
    row.note(
        f"GET / with {min(trials, len(FOREIGN_HOSTS))} foreign Host names must be refused "
        "(4xx); 127.0.0.1, localhost and [::1] are answered"
    )
