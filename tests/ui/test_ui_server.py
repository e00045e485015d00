"""Serving: loopback by default, a port in use names the next free one."""

from __future__ import annotations

import contextlib
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


def _two_busy_ports(stack: contextlib.ExitStack) -> int:
    """A port and the next one, both listened on here. Another process may
    hold a port's neighbour: then try another pair."""
    for _ in range(50):
        first = stack.enter_context(socket.socket())
        first.bind(("127.0.0.1", 0))
        port = int(first.getsockname()[1])
        second = stack.enter_context(socket.socket())
        try:
            second.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        first.listen()
        second.listen()
        return port
    raise AssertionError("no two adjacent free ports on loopback")


def test_the_next_free_port_skips_ports_in_use() -> None:
    with contextlib.ExitStack() as stack:
        port = _two_busy_ports(stack)
        assert next_free_port("127.0.0.1", port) not in {port, port + 1}


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
