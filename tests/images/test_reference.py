from __future__ import annotations

import pytest

from repro.images.reference import (
    ImageRef,
    InvalidImageRefError,
    is_unpinned_latest,
    parse_image_ref,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4
OTHER = "sha256:" + "f" * 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("python", ImageRef(None, "python")),
        ("python:3.11-slim", ImageRef(None, "python", "3.11-slim")),
        ("library/python", ImageRef(None, "python")),
        ("docker.io/library/python:3", ImageRef(None, "python", "3")),
        ("index.docker.io/org/app", ImageRef(None, "org/app")),
        ("org/app:v1", ImageRef(None, "org/app", "v1")),
        ("127.0.0.1:5000/proj", ImageRef("127.0.0.1:5000", "proj")),
        ("127.0.0.1:5000/team/proj:abc", ImageRef("127.0.0.1:5000", "team/proj", "abc")),
        ("localhost/proj", ImageRef("localhost", "proj")),
        ("localhost:5000/a/b/c:t", ImageRef("localhost:5000", "a/b/c", "t")),
        ("ghcr.io/org/app", ImageRef("ghcr.io", "org/app")),
        ("Registry.Example/app", ImageRef("Registry.Example", "app")),
        ("[::1]:5000/app", ImageRef("[::1]:5000", "app")),
        ("org/a.b_c__d-e--f", ImageRef(None, "org/a.b_c__d-e--f")),
        (f"proj@{DIGEST}", ImageRef(None, "proj", None, DIGEST)),
        (f"proj:v2@{DIGEST}", ImageRef(None, "proj", "v2", DIGEST)),
        (f"127.0.0.1:5000/proj@{DIGEST}", ImageRef("127.0.0.1:5000", "proj", None, DIGEST)),
        ("proj:" + "t" * 128, ImageRef(None, "proj", "t" * 128)),
        ("proj:_under.score-dash", ImageRef(None, "proj", "_under.score-dash")),
    ],
)
def test_a_valid_reference_parses(text: str, expected: ImageRef) -> None:
    assert parse_image_ref(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" python", "spaces"),
        ("Python", "must be lowercase"),
        ("org/App:1", "must be lowercase"),
        ("proj:", "tag ''"),
        ("proj:-lead", "tag '-lead'"),
        ("proj:" + "t" * 129, "tag"),
        ("proj:a/b", "not a valid registry"),
        ("proj@sha256:abc", "64 lowercase hex"),
        ("proj@sha256:" + "A" * 64, "64 lowercase hex"),
        ("proj@md5:" + "a" * 32, "64 lowercase hex"),
        (f"proj@{DIGEST}@{DIGEST}", "64 lowercase hex"),
        ("a//b", "component ''"),
        ("a/", "component ''"),
        ("-a", "component '-a'"),
        ("a..b", "component 'a..b'"),
        ("a___b", "component 'a___b'"),
        ("bad_host.x:5000/app", "not a valid registry"),
        ("host:port/app", "not a valid registry"),
        ("a" * 256, "longer than 255"),
    ],
)
def test_a_malformed_reference_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidImageRefError, match=rf"invalid image reference .*{reason}"):
        parse_image_ref(text)


def test_the_error_shows_the_grammar() -> None:
    with pytest.raises(InvalidImageRefError, match=r"expected \[HOST\[:PORT\]/\]NAME"):
        parse_image_ref("UPPER")


@pytest.mark.parametrize(
    "text",
    [
        "python",
        "python:3.11",
        "127.0.0.1:5000/team/proj:abc",
        f"proj:v2@{DIGEST}",
        f"localhost:5000/proj@{DIGEST}",
    ],
)
def test_str_gives_the_text_back(text: str) -> None:
    assert str(parse_image_ref(text)) == text


def test_str_is_the_familiar_form() -> None:
    assert str(parse_image_ref("docker.io/library/python:3")) == "python:3"


def test_name_drops_tag_and_digest() -> None:
    assert parse_image_ref(f"127.0.0.1:5000/proj:v1@{DIGEST}").name == "127.0.0.1:5000/proj"


def test_a_digest_pins() -> None:
    ref = parse_image_ref(f"proj@{DIGEST}")
    assert ref.pinned and not ref.floating


def test_a_tag_floats() -> None:
    ref = parse_image_ref("proj:v1")
    assert ref.floating and not ref.pinned


def test_no_tag_means_latest() -> None:
    assert parse_image_ref("127.0.0.1:5000/proj").tagged == "127.0.0.1:5000/proj:latest"


def test_with_digest_drops_the_tag() -> None:
    assert str(parse_image_ref("127.0.0.1:5000/proj:v1").with_digest(OTHER)) == (
        f"127.0.0.1:5000/proj@{OTHER}"
    )


def test_with_digest_refuses_a_bad_digest() -> None:
    with pytest.raises(InvalidImageRefError, match="64 lowercase hex"):
        parse_image_ref("proj").with_digest("sha256:xyz")


@pytest.mark.parametrize(
    ("text", "unpinned"),
    [
        ("proj", True),
        ("proj:latest", True),
        ("127.0.0.1:5000/proj:latest", True),
        ("proj:v1", False),
        (f"proj@{DIGEST}", False),
        (f"proj:latest@{DIGEST}", False),
    ],
)
def test_is_unpinned_latest(text: str, unpinned: bool) -> None:
    assert is_unpinned_latest(text) is unpinned
