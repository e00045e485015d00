"""Failures of a remote, as fsspec, s3fs and botocore raise them, become one
clear error each, against a real S3-compatible server and local folders."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from s3_testing import S3Server

from repro.remotes import (
    Remote,
    RemoteAccessDeniedError,
    RemoteNotFoundError,
    RemoteUnreachableError,
    check_remote,
    remote_errors,
)

ALGORITHM = "xxh3-128"
OID_PATH = "objects/ab/cdef0123456789abcdef0123456789"


def _s3(server: S3Server, bucket: str, **options: object) -> Remote:
    # skip_instance_cache: fsspec would hand back a filesystem made earlier
    # with other credentials.
    base = {"endpoint_url": server.endpoint, "skip_instance_cache": True}
    return Remote("origin", f"s3://{bucket}/store", {**base, **options})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow  # botocore's retries back off for a few seconds, by design
def test_an_unreachable_endpoint_fails_fast(s3_server: S3Server) -> None:
    remote = _s3(s3_server, "bucket", endpoint_url=f"http://127.0.0.1:{_closed_port()}")
    started = time.monotonic()
    with (
        pytest.raises(RemoteUnreachableError, match=r"cannot reach remote 'origin'.*refused"),
        remote_errors(remote),
    ):
        remote.backend(ALGORITHM).read_bytes(OID_PATH)
    assert time.monotonic() - started < 15


def test_a_wrong_secret_is_access_denied(auth_s3_server: S3Server) -> None:
    bucket = auth_s3_server.new_bucket()
    remote = _s3(auth_s3_server, bucket, key=auth_s3_server.access_key, secret="wrong")
    with (
        pytest.raises(RemoteAccessDeniedError, match=r"SignatureDoesNotMatch.*AWS_ACCESS_KEY_ID"),
        remote_errors(remote),
    ):
        remote.backend(ALGORITHM).listdir("objects")


def test_an_unknown_key_is_access_denied(auth_s3_server: S3Server) -> None:
    bucket = auth_s3_server.new_bucket()
    remote = _s3(auth_s3_server, bucket, key="AKIAREPROUNKNOWN0000", secret="wrong")
    with (
        pytest.raises(RemoteAccessDeniedError, match=r"refused access: .*InvalidAccessKeyId"),
        remote_errors(remote),
    ):
        remote.backend(ALGORITHM).write_atomic(OID_PATH, [b"data"])


def test_a_key_without_permission_is_access_denied(auth_s3_server: S3Server) -> None:
    bucket = auth_s3_server.new_bucket()
    iam = auth_s3_server.client("iam")
    iam.create_user(UserName="reader-of-nothing")
    key = iam.create_access_key(UserName="reader-of-nothing")["AccessKey"]
    remote = _s3(auth_s3_server, bucket, key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(RemoteAccessDeniedError, match="AccessDenied"), remote_errors(remote):
        remote.backend(ALGORITHM).listdir("objects")


def test_no_credentials_at_all_is_access_denied(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    remote = _s3(s3_server, s3_server.new_bucket())
    with (
        pytest.raises(RemoteAccessDeniedError, match="no credentials found"),
        remote_errors(remote),
    ):
        remote.backend(ALGORITHM).read_bytes(OID_PATH)


def test_a_missing_bucket_on_read(s3_server: S3Server) -> None:
    remote = _s3(s3_server, "repro-no-such-bucket")
    with (
        pytest.raises(RemoteNotFoundError, match="bucket 'repro-no-such-bucket' does not exist"),
        remote_errors(remote),
    ):
        remote.backend(ALGORITHM).read_bytes(OID_PATH)


def test_a_missing_bucket_on_write(s3_server: S3Server) -> None:
    remote = _s3(s3_server, "repro-no-such-bucket")
    with pytest.raises(RemoteNotFoundError, match="--force origin"), remote_errors(remote):
        remote.backend(ALGORITHM).write_atomic(OID_PATH, [b"data"])


def test_a_missing_object_is_not_a_missing_bucket(s3_server: S3Server) -> None:
    remote = _s3(s3_server, s3_server.new_bucket())
    with pytest.raises(FileNotFoundError) as caught, remote_errors(remote):
        remote.backend(ALGORITHM).read_bytes(OID_PATH)
    assert not isinstance(caught.value, RemoteNotFoundError)


def test_a_remote_that_works_raises_nothing(s3_server: S3Server) -> None:
    remote = _s3(s3_server, s3_server.new_bucket())
    with remote_errors(remote):
        remote.backend(ALGORITHM).write_atomic(OID_PATH, [b"data"])
        assert remote.backend(ALGORITHM).read_bytes(OID_PATH) == b"data"


def test_check_remote_passes_for_a_bucket_that_answers(s3_server: S3Server) -> None:
    check_remote(_s3(s3_server, s3_server.new_bucket()), ALGORITHM)


def test_check_remote_finds_a_missing_bucket(s3_server: S3Server) -> None:
    with pytest.raises(RemoteNotFoundError, match="bucket 'repro-no-such-bucket'"):
        check_remote(_s3(s3_server, "repro-no-such-bucket"), ALGORITHM)


def test_a_missing_local_folder(tmp_path: Path) -> None:
    remote = Remote("backup", str(tmp_path / "nowhere"))
    with (
        pytest.raises(RemoteNotFoundError, match=r"folder '.*nowhere' does not exist"),
        remote_errors(remote),
    ):
        remote.backend(ALGORITHM).read_bytes(OID_PATH)


def test_a_local_file_outside_the_remote_is_not_the_remotes_fault(tmp_path: Path) -> None:
    remote = Remote("backup", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as caught, remote_errors(remote):
        (tmp_path / "cache" / "missing").read_bytes()
    assert not isinstance(caught.value, RemoteNotFoundError)


def test_check_remote_finds_a_missing_local_folder(tmp_path: Path) -> None:
    with pytest.raises(RemoteNotFoundError, match="folder"):
        check_remote(Remote("backup", str(tmp_path / "nowhere")), ALGORITHM)
