"""A real MLflow tracking server on loopback (``mlflow server``, SQLite
backend store, local artifact root served through the server), started
once per test process; and a port nothing listens on, for a server that is
down."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

__all__ = ["MlflowServer", "closed_port_uri", "mlflow_server", "start_mlflow_server"]

# Loopback must never go through a proxy the environment may name.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class MlflowServer:
    uri: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> MlflowClient:
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.uri)

    def stop(self) -> None:
        # `mlflow server` runs uvicorn as a child: end the whole group it leads.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port_uri() -> str:
    """The URL of a server that is down: a loopback port nothing listens on."""
    return f"http://127.0.0.1:{_free_port()}"


def _healthy(uri: str) -> bool:
    try:
        with _opener.open(f"{uri}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start_mlflow_server(root: Path, timeout: float = 180.0) -> MlflowServer:
    """Start ``mlflow server`` storing under ``root``; fails (never skips)
    when it cannot: the mirror tests need a real server."""
    port = _free_port()
    log = root / "server.log"
    command = [
        *(sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port)),
        *("--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}"),
        *("--artifacts-destination", str(root / "artifacts"), "--workers", "1"),
    ]
    # Its background job runners (seven processes) serve features no test uses.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = MlflowServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout
    while not _healthy(server.uri):
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                server.stop()
            tail = log.read_text(errors="replace")[-2000:]
            pytest.fail(f"mlflow server did not answer on {server.uri}:\n{tail}", pytrace=False)
        time.sleep(0.2)
    return server


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real MLflow tracking server, one per test process."""
    server = start_mlflow_server(tmp_path_factory.mktemp("mlflow-server"))
    yield server
    server.stop()
