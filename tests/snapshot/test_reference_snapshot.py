"""Reference snapshots: a manifest of each object's size, ETag and version
id, listed from a real S3-compatible server, and the objects fetched back at
those versions (or an error naming every object that moved on)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from s3_testing import S3Server

from repro.snapshot import snapshot
from repro.snapshot.errors import PathNotFoundError
from repro.snapshot.reference import (
    DatasetMovedOnError,
    InvalidManifestError,
    ReferenceEntry,
    ReferenceManifest,
    etag_is_content_md5,
    fetch_reference,
    list_reference,
)

FILES = {"data/a.csv": b"x\n1\n", "data/sub/b.txt": b"bee"}


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The test server, found by s3fs through botocore's endpoint variable."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    return s3_server


def _bucket(s3: S3Server, files: dict[str, bytes], *, versioned: bool) -> str:
    bucket = s3.new_bucket(versioned=versioned)
    client = s3.client()
    for key, data in files.items():
        client.put_object(Bucket=bucket, Key=key, Body=data)
    return bucket


def _fetched(dest: Path) -> dict[str, bytes]:
    return {
        path.relative_to(dest).as_posix(): path.read_bytes()
        for path in sorted(dest.rglob("*"))
        if path.is_file()
    }


def test_a_listing_records_size_etag_and_version(s3: S3Server) -> None:
    bucket = _bucket(s3, FILES, versioned=True)
    manifest = list_reference(f"s3://{bucket}/data/")
    assert manifest.kind == "folder"
    assert [entry.path for entry in manifest.entries] == ["a.csv", "sub/b.txt"]
    first = manifest.entries[0]
    assert first.size == 4
    assert first.etag == hashlib.md5(b"x\n1\n").hexdigest()  # no quotes
    assert first.version and first.version != "null"


def test_an_unversioned_bucket_records_no_version(s3: S3Server) -> None:
    bucket = _bucket(s3, FILES, versioned=False)
    manifest = list_reference(f"s3://{bucket}/data/")
    assert {entry.version for entry in manifest.entries} == {None}


def test_the_manifest_is_stable_and_canonical(s3: S3Server) -> None:
    bucket = _bucket(s3, FILES, versioned=True)
    once = list_reference(f"s3://{bucket}/data/").to_bytes()
    again = list_reference(f"s3://{bucket}/data/").to_bytes()
    assert once == again
    assert once.startswith(b'{"entries":[{"etag":')
    assert ReferenceManifest.from_bytes(once).to_bytes() == once


def test_an_overwritten_object_changes_the_manifest(s3: S3Server) -> None:
    bucket = _bucket(s3, FILES, versioned=False)
    before = list_reference(f"s3://{bucket}/data/").to_bytes()
    s3.client().put_object(Bucket=bucket, Key="data/a.csv", Body=b"x\n2\n")  # same size
    assert list_reference(f"s3://{bucket}/data/").to_bytes() != before


def test_a_url_naming_one_object_is_a_file(s3: S3Server) -> None:
    bucket = _bucket(s3, FILES, versioned=False)
    manifest = list_reference(f"s3://{bucket}/data/a.csv")
    assert manifest.kind == "file"
    assert [entry.path for entry in manifest.entries] == ["a.csv"]


def test_a_versioned_bucket_gives_back_overwritten_and_deleted_objects(
    s3: S3Server, tmp_path: Path
) -> None:
    bucket = _bucket(s3, FILES, versioned=True)
    manifest = list_reference(f"s3://{bucket}/data/")
    client = s3.client()
    client.put_object(Bucket=bucket, Key="data/a.csv", Body=b"overwritten")
    client.delete_object(Bucket=bucket, Key="data/sub/b.txt")
    fetch_reference(f"s3://{bucket}/data/", manifest, str(tmp_path / "out"))
    assert _fetched(tmp_path / "out") == {"a.csv": b"x\n1\n", "sub/b.txt": b"bee"}


def test_an_unversioned_bucket_that_moved_on_names_the_objects(
    s3: S3Server, tmp_path: Path
) -> None:
    bucket = _bucket(s3, FILES, versioned=False)
    manifest = list_reference(f"s3://{bucket}/data/")
    client = s3.client()
    client.put_object(Bucket=bucket, Key="data/a.csv", Body=b"x\n2\n")
    client.delete_object(Bucket=bucket, Key="data/sub/b.txt")
    with pytest.raises(DatasetMovedOnError, match=r"a\.csv \(changed\), sub/b\.txt \(deleted\)"):
        fetch_reference(f"s3://{bucket}/data/", manifest, str(tmp_path / "out"))


def test_a_long_list_of_moved_objects_is_cut_short(s3: S3Server, tmp_path: Path) -> None:
    files = {f"data/{n:02}.txt": b"v1" for n in range(8)}
    bucket = _bucket(s3, files, versioned=False)
    manifest = list_reference(f"s3://{bucket}/data/")
    for key in files:
        s3.client().put_object(Bucket=bucket, Key=key, Body=b"v2")
    with pytest.raises(DatasetMovedOnError, match=r"8 object\(s\).*04\.txt \(changed\) and 3 more"):
        fetch_reference(f"s3://{bucket}/data/", manifest, str(tmp_path / "out"))


def test_a_size_that_does_not_match_the_record_is_named(s3: S3Server, tmp_path: Path) -> None:
    bucket = _bucket(s3, {"data/a.csv": b"abc"}, versioned=True)
    listed = list_reference(f"s3://{bucket}/data/").entries[0]
    manifest = ReferenceManifest.build("folder", [listed._replace(size=4, etag=None)])
    with pytest.raises(DatasetMovedOnError, match=r"a\.csv \(3 bytes, recorded 4\)"):
        fetch_reference(f"s3://{bucket}/data/", manifest, str(tmp_path / "out"))


def test_a_multipart_object_is_checked_by_size_and_etag(s3: S3Server, tmp_path: Path) -> None:
    bucket = s3.new_bucket(versioned=True)
    client = s3.client()
    upload = client.create_multipart_upload(Bucket=bucket, Key="data/big.bin")
    part = client.upload_part(
        Bucket=bucket, Key="data/big.bin", UploadId=upload["UploadId"], PartNumber=1, Body=b"z"
    )
    client.complete_multipart_upload(
        Bucket=bucket,
        Key="data/big.bin",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    manifest = list_reference(f"s3://{bucket}/data/")
    assert manifest.entries[0].etag is not None and manifest.entries[0].etag.endswith("-1")
    fetch_reference(f"s3://{bucket}/data/", manifest, str(tmp_path / "out"))
    assert _fetched(tmp_path / "out") == {"big.bin": b"z"}


@pytest.mark.parametrize(
    ("etag", "head", "expected"),
    [
        ("0" * 32, {}, True),
        ("0" * 32, {"ServerSideEncryption": "AES256"}, True),
        ("0" * 32, {"ServerSideEncryption": "aws:kms"}, False),
        ("0" * 32, {"ServerSideEncryption": "aws:kms:dsse"}, False),
        ("0" * 32, {"SSECustomerAlgorithm": "AES256"}, False),
        ("0" * 32 + "-3", {}, False),
    ],
)
def test_which_etags_are_the_md5_of_the_bytes(
    etag: str, head: dict[str, Any], expected: bool
) -> None:
    assert etag_is_content_md5(etag, head) is expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"entries":[],"format":"repro.reference/v9","kind":"folder"}', "upgrade repro"),
        (b'{"format":"repro.tree/v1"}', "unknown format"),
        (b'{"entries":[], "format":"repro.reference/v1","kind":"folder"}', "canonical"),
        (
            b'{"entries":[{"etag":"e","path":"../x","size":1,"version":null}],'
            b'"format":"repro.reference/v1","kind":"folder"}',
            "bad path '../x': it leads out",
        ),
        (
            b'{"entries":[{"etag":"e","path":"x","size":"1","version":null}],'
            b'"format":"repro.reference/v1","kind":"folder"}',
            "bad entry",
        ),
        (b'{"entries":[],"format":"repro.reference/v1","kind":"file"}', "bad kind"),
    ],
)
def test_a_bad_manifest_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidManifestError, match=reason):
        ReferenceManifest.from_bytes(data, "abc")


def test_a_manifest_round_trips() -> None:
    manifest = ReferenceManifest.build(
        "folder",
        [ReferenceEntry("b", 2, None, "v2"), ReferenceEntry("a", 1, "e", None)],
    )
    assert [entry.path for entry in manifest.entries] == ["a", "b"]
    assert ReferenceManifest.from_bytes(manifest.to_bytes()) == manifest
    assert manifest.files == 2 and manifest.size == 3


def test_a_second_listing_in_one_process_sees_deleted_objects(s3: S3Server) -> None:
    bucket = _bucket(s3, FILES, versioned=False)
    list_reference(f"s3://{bucket}/data/")
    for key in FILES:
        s3.client().delete_object(Bucket=bucket, Key=key)
    with pytest.raises(PathNotFoundError, match="no such file or directory"):
        list_reference(f"s3://{bucket}/data/")


MARKED = {"data/": b"", "data/sub/": b"", "data/sub/b.txt": b"bee"}  # S3 console folders


def test_folder_markers_are_not_referenced(s3: S3Server) -> None:
    bucket = _bucket(s3, MARKED, versioned=False)
    manifest = list_reference(f"s3://{bucket}/data/")
    assert [entry.path for entry in manifest.entries] == ["sub/b.txt"]


def test_folder_markers_are_not_copied(s3: S3Server) -> None:
    bucket = _bucket(s3, MARKED, versioned=False)
    tree = snapshot(f"s3://{bucket}/data/", algorithm="xxh3-128").tree
    assert [entry.path for entry in tree.entries] == ["sub/b.txt"]
