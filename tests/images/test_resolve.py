"""Pinning against a real engine and the local registry, with tiny images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_testing import one_line_error, run_repro
from docker_testing import push_to_registry
from image_testing import TinyImage, remove_image

from repro.images.errors import (
    ImageDigestMismatchError,
    ImageNotFoundError,
    InvalidImageRefError,
)
from repro.images.resolve import find_pinned, local_image_id, pin_image

ABSENT = "sha256:" + "0" * 64


def test_a_local_only_image_pins_to_its_id(
    tiny_image: TinyImage, docker_engine: Any, unique: str
) -> None:
    name = f"repro-tests/local-{unique}"
    image_id = tiny_image(f"{name}:v1")
    assert pin_image(f"{name}:v1", docker_engine) == f"{name}@{image_id}"


def test_an_id_pin_finds_the_image_again(
    tiny_image: TinyImage, docker_engine: Any, unique: str
) -> None:
    image_id = tiny_image(f"repro-tests/local-{unique}:v2")
    pinned = pin_image(f"repro-tests/local-{unique}:v2", docker_engine)
    assert local_image_id(pinned, docker_engine) == image_id


def test_no_tag_means_latest(tiny_image: TinyImage, docker_engine: Any, unique: str) -> None:
    image_id = tiny_image(f"repro-tests/latest-{unique}:latest")
    assert pin_image(f"repro-tests/latest-{unique}", docker_engine).endswith(image_id)


def test_a_pushed_image_pins_to_its_repository_digest(
    tiny_image: TinyImage, docker_engine: Any, registry: str, unique: str
) -> None:
    name = f"{registry}/repro-tests/pushed-{unique}"
    image_id = tiny_image(f"{name}:v1")
    push_to_registry(docker_engine, f"{name}:v1", name, tag="v1")
    pinned = pin_image(f"{name}:v1", docker_engine)
    digests = docker_engine.images.get(image_id).attrs["RepoDigests"]
    assert pinned in digests and not pinned.endswith(image_id)


def test_a_pushed_pin_is_pulled_back_when_the_image_is_gone(
    tiny_image: TinyImage, docker_engine: Any, registry: str, unique: str
) -> None:
    name = f"{registry}/repro-tests/pulled-{unique}"
    image_id = tiny_image(f"{name}:v1")
    push_to_registry(docker_engine, f"{name}:v1", name, tag="v1")
    pinned = pin_image(f"{name}:v1", docker_engine)
    remove_image(docker_engine, image_id)
    assert local_image_id(pinned, docker_engine) == image_id


def test_pinning_a_pinned_reference_keeps_its_digest(
    tiny_image: TinyImage, docker_engine: Any, registry: str, unique: str
) -> None:
    name = f"{registry}/repro-tests/again-{unique}"
    tiny_image(f"{name}:v1")
    push_to_registry(docker_engine, f"{name}:v1", name, tag="v1")
    pinned = pin_image(f"{name}:v1", docker_engine)
    assert pin_image(pinned, docker_engine) == pinned


def test_a_tag_beside_its_own_digest_is_accepted(
    tiny_image: TinyImage, docker_engine: Any, unique: str
) -> None:
    image_id = tiny_image(f"repro-tests/both-{unique}:v1")
    pinned = f"repro-tests/both-{unique}@{image_id}"
    assert pin_image(f"repro-tests/both-{unique}:v1@{image_id}", docker_engine) == pinned


def test_a_tag_naming_another_image_than_the_digest_is_refused(
    tiny_image: TinyImage, docker_engine: Any, unique: str
) -> None:
    tagged = tiny_image(f"repro-tests/mismatch-{unique}:v1")
    other = tiny_image(f"repro-tests/mismatch-{unique}:v2")
    with pytest.raises(ImageDigestMismatchError, match=f"its tag names {tagged}, not the pinned"):
        find_pinned(f"repro-tests/mismatch-{unique}:v1@{other}", docker_engine)


def test_a_tag_that_cannot_be_had_is_not_found(docker_engine: Any, registry: str) -> None:
    with pytest.raises(ImageNotFoundError, match=r"is neither local nor pullable.*docker pull"):
        pin_image(f"{registry}/repro-tests/absent:v1", docker_engine)


def test_a_digest_that_cannot_be_had_is_not_found(docker_engine: Any, registry: str) -> None:
    with pytest.raises(ImageNotFoundError, match=r"no image by that tag or digest.*image build"):
        local_image_id(f"{registry}/repro-tests/absent@{ABSENT}", docker_engine)


def test_an_unreachable_registry_says_so(docker_engine: Any, closed_port: int) -> None:
    with pytest.raises(ImageNotFoundError, match="registry refused the connection"):
        pin_image(f"127.0.0.1:{closed_port}/repro-tests/app:v1", docker_engine)


def test_finding_needs_a_pinned_reference(docker_engine: Any) -> None:
    with pytest.raises(InvalidImageRefError, match="not pinned"):
        find_pinned("repro-tests/local:v1", docker_engine)


def test_resolve_prints_the_pinned_reference(
    tiny_image: TinyImage, tmp_path: Path, unique: str
) -> None:
    image_id = tiny_image(f"repro-tests/cli-{unique}:v1")
    result = run_repro(tmp_path, "image", "resolve", f"repro-tests/cli-{unique}:v1")
    assert (result.code, result.out) == (0, f"repro-tests/cli-{unique}@{image_id}\n")


def test_resolve_prints_json(tiny_image: TinyImage, tmp_path: Path, unique: str) -> None:
    image_id = tiny_image(f"repro-tests/json-{unique}:v1")
    result = run_repro(tmp_path, "image", "resolve", "--json", f"repro-tests/json-{unique}:v1")
    assert result.json() == {
        "reference": f"repro-tests/json-{unique}:v1",
        "pinned": f"repro-tests/json-{unique}@{image_id}",
    }


def test_resolve_of_an_absent_image_is_one_line(
    docker_engine: Any, registry: str, tmp_path: Path
) -> None:
    result = run_repro(tmp_path, "image", "resolve", f"{registry}/repro-tests/absent:v1")
    assert "neither local nor pullable" in one_line_error(result)


def test_resolve_of_a_malformed_reference_is_a_usage_error(tmp_path: Path) -> None:
    result = run_repro(tmp_path, "image", "resolve", "Not/Valid")
    assert "must be lowercase" in one_line_error(result) and result.code == 2
