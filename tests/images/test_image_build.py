"""``repro image build`` end to end on a real engine: the generated
Dockerfile (built once per session and shared: it is slow), a user's
Dockerfile, pushes to the local registry, and errors in one line."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_testing import one_line_error, run_repro
from image_testing import remove_image
from pipeline_testing import Result
from repro_testing import git

from repro import __version__
from repro.project import init_project

BUILD_TIMEOUT = 1800  # a cold build downloads every wheel of the closure
GENERATED_REPOSITORY = "repro-tests/generated"


@dataclass(frozen=True)
class Built:
    root: Path
    doc: dict[str, Any]
    seconds: float


def make_project(root: Path, docker: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    init_project(str(root))
    (root / "pyproject.toml").write_text(f"[tool.repro.docker]\n{docker}")
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    return root


def build(root: Path, *args: str) -> Result:
    return run_repro(root, "image", "build", *args, timeout=BUILD_TIMEOUT)


def recorded_image(root: Path) -> str:
    doc = tomllib.loads((root / "pyproject.toml").read_text())
    return str(doc["tool"]["repro"]["image"])


def docker_run(image: str, *command: str) -> str:
    done = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", image, *command],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Built:
    """The generated image of a tiny project. Test processes take turns, so
    that the first builds and the others find every layer cached."""
    root = make_project(
        tmp_path_factory.mktemp("generated"),
        f'base = "{base_image}"\nrepository = "{GENERATED_REPOSITORY}"\n',
    )
    lock_path = tmp_path_factory.getbasetemp().parent / "generated-image.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        start = time.monotonic()
        result = build(root, "--json")
        seconds = time.monotonic() - start
    assert result.code == 0, result.err
    return Built(root, result.json(), seconds)


@pytest.fixture
def built_tags(docker_engine: Any) -> Iterator[list[str]]:
    """Tags the test builds; removed afterwards."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        remove_image(docker_engine, tag)


@pytest.mark.slow
def test_the_generated_image_runs_repro_offline(generated: Built) -> None:
    assert docker_run(generated.doc["image_id"], "repro", "--version") == f"repro {__version__}\n"


@pytest.mark.slow
def test_the_generated_image_has_the_hosts_versions(generated: Built) -> None:
    probe = (
        "import numpy, pandas, pyarrow; "
        "print(numpy.__version__, pandas.__version__, pyarrow.__version__)"
    )
    host = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert docker_run(generated.doc["image_id"], "python", "-c", probe) == host.stdout


@pytest.mark.slow
def test_a_local_build_is_pinned_by_image_id_and_recorded(generated: Built) -> None:
    doc = generated.doc
    assert doc["pinned"] == f"{GENERATED_REPOSITORY}@{doc['image_id']}"
    assert (doc["pushed"], recorded_image(generated.root)) == (False, doc["pinned"])


@pytest.mark.slow
def test_a_second_build_reuses_every_layer(generated: Built) -> None:
    start = time.monotonic()
    again = build(generated.root, "--json")
    seconds = time.monotonic() - start
    assert again.code == 0, again.err
    assert again.json()["image_id"] == generated.doc["image_id"]
    print(f"generated image: first build {generated.seconds:.1f} s, second {seconds:.1f} s")


@pytest.mark.slow
def test_the_build_prints_the_pin_and_where_it_went(generated: Built) -> None:
    result = build(generated.root)
    pinned = generated.doc["pinned"]
    assert result.out.splitlines() == [
        pinned,
        f"built {generated.doc['tagged']} (local only, not pushed); recorded as "
        "[tool.repro] image in pyproject.toml",
    ]


@pytest.mark.slow
def test_a_user_dockerfile_is_built_pushed_and_pinned_by_repository_digest(
    tmp_path: Path, base_image: str, registry: str, unique: str, built_tags: list[str]
) -> None:
    repository = f"{registry}/repro-tests/custom-{unique}"
    root = make_project(
        tmp_path / "proj",
        f'repository = "{repository}"\n',
        {"Dockerfile.custom": f"FROM {base_image}\nCOPY hello.txt /hello.txt\n", "hello.txt": "hi"},
    )
    result = build(root, "--file", "Dockerfile.custom", "--tag", "v1", "--json")
    assert result.code == 0, result.err
    doc = result.json()
    built_tags.append(doc["tagged"])
    assert (doc["tagged"], doc["pushed"]) == (f"{repository}:v1", True)
    assert doc["pinned"].startswith(f"{repository}@sha256:")
    assert doc["pinned"] != f"{repository}@{doc['image_id']}"
    assert recorded_image(root) == doc["pinned"]


def test_no_push_keeps_a_registry_build_local(
    tmp_path: Path, base_image: str, registry: str, unique: str, built_tags: list[str]
) -> None:
    repository = f"{registry}/repro-tests/local-{unique}"
    root = make_project(
        tmp_path / "proj", f'repository = "{repository}"\n', {"Dockerfile": f"FROM {base_image}\n"}
    )
    result = build(root, "-f", "Dockerfile", "--no-push", "--json")
    assert result.code == 0, result.err
    doc = result.json()
    built_tags.append(doc["tagged"])
    assert (doc["pushed"], doc["pinned"]) == (False, f"{repository}@{doc['image_id']}")


def test_the_context_leaves_out_the_cache_and_ignored_files(
    tmp_path: Path, base_image: str, unique: str, built_tags: list[str]
) -> None:
    dockerfile = (
        f"FROM {base_image}\nCOPY . /ctx/\n"
        "RUN test -e /ctx/kept.txt && test ! -e /ctx/.repro && test ! -e /ctx/ignored.txt\n"
    )
    root = make_project(
        tmp_path / "proj",
        f'repository = "repro-tests/context-{unique}"\n',
        {"Dockerfile": dockerfile, "kept.txt": "", "ignored.txt": "", ".dockerignore": "ignored*"},
    )
    result = build(root, "-f", "Dockerfile", "--json")
    assert result.code == 0, result.err
    built_tags.append(result.json()["tagged"])


def test_a_failing_step_is_reported_in_one_line(
    tmp_path: Path, base_image: str, unique: str
) -> None:
    root = make_project(
        tmp_path / "proj",
        f'repository = "repro-tests/failing-{unique}"\n',
        {"Dockerfile": f"FROM {base_image}\nRUN echo about to fail && false\n"},
    )
    line = one_line_error(build(root, "-f", "Dockerfile"))
    assert "docker build failed at step 2/2 (RUN echo about to fail && false)" in line
    assert "returned a non-zero code: 1 (last output: about to fail)" in line


def test_an_unreachable_registry_is_reported_in_one_line(
    tmp_path: Path, base_image: str, closed_port: int, unique: str, built_tags: list[str]
) -> None:
    repository = f"127.0.0.1:{closed_port}/repro-tests/unreachable-{unique}"
    root = make_project(
        tmp_path / "proj", f'repository = "{repository}"\n', {"Dockerfile": f"FROM {base_image}\n"}
    )
    built_tags.append(f"{repository}:v1")
    line = one_line_error(build(root, "-f", "Dockerfile", "--tag", "v1"))
    assert f"the image registry 127.0.0.1:{closed_port} does not answer" in line


def test_a_missing_dockerfile_is_a_usage_error(tmp_path: Path, docker_engine: Any) -> None:
    root = make_project(tmp_path / "proj", "")
    result = build(root, "--file", "nope/Dockerfile")
    assert "no Dockerfile at" in one_line_error(result) and result.code == 2


def test_a_malformed_tag_fails_before_building(tmp_path: Path, docker_engine: Any) -> None:
    root = make_project(tmp_path / "proj", "", {"Dockerfile": "FROM scratch\n"})
    result = build(root, "-f", "Dockerfile", "--tag", "-v1")
    assert "tag '-v1'" in one_line_error(result) and result.code == 2


def test_a_missing_base_image_is_reported_in_one_line(
    tmp_path: Path, docker_engine: Any, closed_port: int
) -> None:
    base = f"127.0.0.1:{closed_port}/repro-tests/absent-base:v1"
    root = make_project(tmp_path / "proj", f'base = "{base}"\n')
    line = one_line_error(build(root))
    assert f"image {base} is neither local nor pullable" in line
    assert "set [tool.repro.docker] base to an image you have" in line
