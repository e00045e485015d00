"""`repro ui` as a user starts it: it serves the project on loopback, warns
before serving anywhere else, and a port in use is one line."""

from __future__ import annotations

import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_testing import cli, start_repro

from repro.project import Project

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def started(project: Project) -> Iterator[subprocess.Popen[str]]:
    process = start_repro(Path(project.root), "ui", "--port", str(_free_port()))
    yield process
    process.kill()
    process.communicate()


def test_repro_ui_serves_the_project_on_loopback(started: subprocess.Popen[str]) -> None:
    assert started.stdout is not None
    line = started.stdout.readline()
    assert line.startswith("repro ui: http://127.0.0.1:"), line
    url = line.split()[2]
    with pytest.raises(urllib.error.HTTPError) as missing:
        _opener.open(url + "no-such-page", timeout=10)
    assert missing.value.code == 404


def test_a_port_in_use_is_one_line_naming_the_next_free_port(
    project: Project, busy_port: int
) -> None:
    result = cli(Path(project.root), "ui", "--port", str(busy_port))
    assert result.code == 1
    assert result.err.startswith(
        f"error: port {busy_port} on 127.0.0.1 is already in use; try --port "
    )
    assert len(result.err.strip().splitlines()) == 1


def test_any_address_but_loopback_is_served_only_with_a_warning(project: Project) -> None:
    process = start_repro(
        Path(project.root), "ui", "--host", "0.0.0.0", "--port", str(_free_port())
    )
    try:
        assert process.stderr is not None
        warning = process.stderr.readline()
    finally:
        process.kill()
        process.communicate()
    assert warning.startswith("warning: serving on 0.0.0.0: anyone who can reach this machine")


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_a_usage_error(project: Project, port: str) -> None:
    result = cli(Path(project.root), "ui", "--port", port)
    assert result.code == 2
    assert "is not in the range 0<=x<=65535" in result.err
    assert "Traceback" not in result.err
