"""Setting a project up for the argo backend: its image, an S3 remote on
loopback, the credentials Secret; and the environment naming the fake
Argo Server."""

from __future__ import annotations

from pathlib import Path

from argo_server_testing import FakeArgoServer
from pipeline_testing import cli
from s3_testing import S3Server

SECRET = "repro-s3"


def configure_argo(root: Path, s3_server: S3Server, image: str) -> None:
    bucket = s3_server.new_bucket()
    added = cli(
        root,
        "remote",
        "add",
        "origin",
        f"s3://{bucket}/store",
        "--option",
        f"endpoint_url={s3_server.endpoint}",
        "--default",
    )
    assert added.code == 0, added
    with (root / "pyproject.toml").open("a") as file:
        file.write(
            f'\n[tool.repro]\nimage = "{image}"\n\n'
            f'[tool.repro.argo]\nnamespace = "argo"\ncredentials-secret = "{SECRET}"\n'
        )


def server_env(server: FakeArgoServer) -> dict[str, str]:
    return {"ARGO_SERVER": server.url, "ARGO_TOKEN": server.token}
