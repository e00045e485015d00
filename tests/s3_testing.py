"""A real S3-compatible server on loopback (moto's server mode, as s3fs's
own tests use), started once per test process.

Credentials are fake and go into the environment, where s3fs (and every
``repro`` subprocess a test starts) reads them, never into a config file.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass

__all__ = ["S3Server", "start_s3_server"]

ACCESS_KEY = "repro-test-key"
SECRET_KEY = "repro-test-secret"


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen[bytes]
    # The key the server accepts; with auth, one made through its IAM API.
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def client(self, service: str = "s3"):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
        )

    def new_bucket(self, *, versioned: bool = False) -> str:
        name = f"repro-{uuid.uuid4().hex[:12]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def fs(self):  # type: ignore[no-untyped-def]
        import s3fs

        return s3fs.S3FileSystem(
            key=self.access_key,
            secret=self.secret_key,
            endpoint_url=self.endpoint,
            skip_instance_cache=True,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def use_credentials() -> None:
    """The environment a client of the test server needs (and the subprocesses
    of the tests inherit)."""
    os.environ["AWS_ACCESS_KEY_ID"] = ACCESS_KEY
    os.environ["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    # Never reach for instance metadata or a user's own profile.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)


def start_s3_server(timeout: float = 60.0, *, auth: bool = False) -> S3Server:
    """Start moto's server; fails (never skips) when it cannot: the suite
    needs a real S3-compatible server. moto accepts any key unless ``auth``:
    then it checks signatures against its IAM users, and the server's
    ``access_key``/``secret_key`` are those of a user allowed all of S3 and
    IAM (the environment's credentials stay the shared server's)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the S3 test server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(f"the S3 test server did not answer on {endpoint}")
    use_credentials()
    server = S3Server(endpoint, process)
    if auth:
        _enable_auth(server)
    return server


_ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}],
}


def _enable_auth(server: S3Server) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="repro")
    iam.put_user_policy(UserName="repro", PolicyName="all", PolicyDocument=json.dumps(_ALLOW_ALL))
    key = iam.create_access_key(UserName="repro")["AccessKey"]
    server.access_key, server.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
    # From now on every request is authenticated (moto's switch for its tests).
    request = urllib.request.Request(
        f"{server.endpoint}/moto-api/reset-auth",
        data=b"0",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
