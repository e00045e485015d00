"""Serving the app: on loopback unless asked otherwise, and a port in use
is one line naming the next free one."""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from repro.ui.errors import HostUnavailableError, PortInUseError

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.serving import BaseWSGIServer

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "Served",
    "is_loopback",
    "next_free_port",
    "serve",
    "serving",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
PORTS_TRIED = 100


@dataclass(frozen=True)
class Served:
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(app: Flask, host: str, port: int, announce: Callable[[Served], None]) -> None:
    """Serves until interrupted."""
    server = _bind(app, host, port)
    announce(Served(host, server.port))
    try:
        server.serve_forever()
    finally:
        server.server_close()


@contextmanager
def serving(app: Flask, host: str = DEFAULT_HOST, port: int = 0) -> Iterator[Served]:
    """Serves from a thread for the duration of the block (tests, screenshots)."""
    server = _bind(app, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(host, server.port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def next_free_port(host: str, after: int) -> int | None:
    for port in range(after + 1, min(after + PORTS_TRIED, 65535) + 1):
        if _free(host, port):
            return port
    return None


def _bind(app: Flask, host: str, port: int) -> BaseWSGIServer:
    from werkzeug.serving import make_server

    # Bound here, not by werkzeug, which prints and exits on a port in use.
    with _listening_socket(host, port) as listener:
        return make_server(host, port, app, threaded=True, fd=listener.fileno())


def _listening_socket(host: str, port: int) -> socket.socket:
    listener = socket.socket(_family(host), socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(host, port, next_free_port(host, port)) from exc
        raise HostUnavailableError(host, exc.strerror or str(exc)) from exc
    return listener


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _free(host: str, port: int) -> bool:
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
