"""Helpers of the Docker backend tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline_testing import cli, commit_all

__all__ = ["containers_of", "run_docker", "write_pipeline"]


def containers_of(root: Path) -> list[str]:
    """Containers (running or not) of any run of the project's index."""
    from repro.images.engine import docker_client

    runs = {p.name.split(".")[0] for p in (root / ".repro" / "runs").glob("*")}
    client = docker_client()
    found = client.containers.list(all=True, filters={"label": "repro.run"})
    return [c.name for c in found if c.labels.get("repro.run") in runs]


def write_pipeline(root: Path, name: str, source: str) -> None:
    (root / name).write_text(source)
    commit_all(root, f"add {name}")


def run_docker(root: Path, *args: str, timeout: float = 300) -> Any:
    return cli(root, "run", "--backend", "docker", *args, timeout=timeout)
