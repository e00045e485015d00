"""Serving: loopback by default, a port in use names the next free one."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest

from repro.project import Project
from repro.ui.app import create_app
from repro.ui.errors import HostUnavailableError, PortInUseError
from repro.ui.server import is_loopback, next_free_port, serving

if TYPE_CHECKING:
    from flask import Flask

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def app(project: Project) -> Flask:
    return create_app(project)


def test_serving_answers_on_loopback(app: Flask) -> None:
    with serving(app) as served:
        assert served.url.startswith("http://127.0.0.1:")
        with pytest.raises(urllib.error.HTTPError) as missing:
            _opener.open(served.url + "no-such-page", timeout=10)
    assert missing.value.code == 404


def test_a_port_in_use_names_the_next_free_port(app: Flask, busy_port: int) -> None:
    with (
        pytest.raises(
            PortInUseError,
            match=rf"port {busy_port} on 127.0.0.1 is already in use; try --port \d+",
        ) as error,
        serving(app, port=busy_port),
    ):
        pass
    free = error.value.free
    assert free is not None and free > busy_port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", free))


def test_the_next_free_port_skips_ports_in_use(busy_port: int) -> None:
    with socket.socket() as second:
        second.bind(("127.0.0.1", busy_port + 1))
        second.listen()
        assert next_free_port("127.0.0.1", busy_port) not in {busy_port, busy_port + 1}


def test_an_address_not_of_this_machine_is_one_line(app: Flask) -> None:
    unassigned = "203.0.113.9"
    with (
        pytest.raises(HostUnavailableError, match=r"cannot listen on '203\.0\.113\.9'"),
        serving(app, host=unassigned),
    ):
        pass


def test_only_loopback_names_are_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0")
