"""An all-cached Docker run records nothing; where every image is named by
digest in the code, it is decided on the fast path, without an engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_testing import cli, commit_all, dedent, run_json


def recorded(root: Path) -> set[str]:
    return {path.stem for path in (root / ".repro" / "runs").glob("*.json")}


def project(root: Path, image: str, default: str) -> Path:
    (root / "pipeline.py").write_text(
        dedent(
            f"""
            from repro import pipeline, sh

            @pipeline(image={image!r})
            def p(text: str = {default}) -> None:
                sh("echo {{text}} > out.txt", name="echo", outs=["out.txt"],
                   params={{"text": text}})
            """
        )
    )
    (root / ".gitignore").write_text("out.txt\n")
    assert cli(root, "init").code == 0
    commit_all(root, "pipeline")
    first = run_json(root, "pipeline.py:p", "--backend", "docker")
    assert first["status"] == "succeeded", first
    commit_all(root, "run")
    return root


NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def test_pinned_images_take_the_fast_path_without_an_engine(
    git_repo: Path, repro_image: str
) -> None:
    assert "@sha256:" in repro_image
    root = project(git_repo, repro_image, '"hi"')
    before = recorded(root)
    done = cli(root, "run", "pipeline.py:p", "--backend", "docker", env=NO_ENGINE)
    assert done.code == 0, done
    assert "p: up to date, 1 steps cached" in done.out
    assert recorded(root) == before
    # A change is still seen: the slow path asks the engine, which is not there.
    (root / "out.txt").write_text("edited\n")
    changed = cli(root, "run", "pipeline.py:p", "--backend", "docker", env=NO_ENGINE)
    assert changed.code != 0 and "up to date" not in changed.out


@pytest.mark.parametrize("default", ['"hi".lower()'])
def test_the_slow_path_records_nothing_either(
    git_repo: Path, repro_image: str, default: str
) -> None:
    root = project(git_repo, repro_image, default)
    before = recorded(root)
    doc = run_json(root, "pipeline.py:p", "--backend", "docker")
    assert doc["status"] == "up-to-date", doc
    assert recorded(root) == before
