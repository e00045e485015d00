"""The Docker engine as repro reaches it: one client, made on first use,
and one clear error when no engine answers or the SDK is missing."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from repro.errors import ReproError

if TYPE_CHECKING:
    from docker import DockerClient

__all__ = ["DockerSdkMissingError", "DockerUnavailableError", "docker_client"]

# Engine calls that should be quick (inspect, list, create); a step's own
# wait has its own timeout.
API_TIMEOUT = 60


class DockerSdkMissingError(ReproError):
    def __init__(self) -> None:
        super().__init__(
            "the Docker backend needs the docker package: pip install 'repro-gitops[docker]'"
        )


class DockerUnavailableError(ReproError):
    def __init__(self, host: str, reason: str) -> None:
        self.host, self.reason = host, reason
        super().__init__(
            f"no Docker engine answers at {host} ({reason}); start one "
            "(`sudo systemctl start docker`, or `sudo dockerd &`) or point DOCKER_HOST at it"
        )


def docker_client() -> DockerClient:
    """A client of the engine DOCKER_HOST names (the local socket by
    default), checked with a ping so that a missing engine fails here,
    in one line, rather than halfway through a run."""
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as exc:
        raise DockerSdkMissingError() from exc
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=API_TIMEOUT)
        client.ping()
    except DockerException as exc:
        raise DockerUnavailableError(host, _reason(exc)) from exc
    return client


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "No such file or directory" in text or "FileNotFoundError" in text:
        return "no socket there"
    if "Connection refused" in text:
        return "connection refused"
    if "Permission denied" in text:
        return "permission denied: add your user to the docker group"
    return text.splitlines()[0][:200] if text else type(exc).__name__
