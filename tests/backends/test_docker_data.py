"""URL datasets on the Docker backend: the runner stages them on the host
and the container, which has no network, reads that copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from pipeline_testing import commit_all, dedent

from repro.project import Project, init_project
from repro.runner.replay import replay_run
from repro.runner.run import RunOptions, run_target
from repro.runner.targets import Target

PIPELINE = dedent("""
    from pathlib import Path

    from repro import Dataset, pipeline, step


    @step
    def read(path: Path) -> str:
        return path.read_text()


    @step
    def count(folder: Path) -> list:
        return sorted(p.name for p in folder.iterdir())


    @pipeline
    def remote(
        one: Dataset = Dataset("memory://docker-bucket/rows.csv"),
        many: Dataset = Dataset("memory://docker-bucket/parts/"),
    ) -> None:
        read(one)
        count(many)
""")


@pytest.fixture
def remote_project(git_repo: Path, repro_image: str) -> Iterator[Project]:
    fs = fsspec.filesystem("memory")
    fs.pipe(
        {
            "/docker-bucket/rows.csv": b"value\n1\n",
            "/docker-bucket/parts/a.txt": b"a",
            "/docker-bucket/parts/b.txt": b"b",
        }
    )
    (git_repo / "remote.py").write_text(PIPELINE)
    (git_repo / "pyproject.toml").write_text(f'[tool.repro]\nimage = "{repro_image}"\n')
    project = init_project(str(git_repo)).project
    commit_all(git_repo, "remote")
    yield project
    fs.rm("/docker-bucket", recursive=True)


def test_url_datasets_reach_a_container_without_network(remote_project: Project) -> None:
    outcome = run_target(
        remote_project, Target("remote.py", "remote"), RunOptions(backend="docker")
    )
    assert outcome.ok, outcome.record
    store = remote_project.store()
    steps = outcome.record.steps
    assert store.read(steps["read"].outputs["output"].oid) == b"value\n1\n"
    assert store.read(steps["count"].outputs["output"].oid) == b'["a.txt","b.txt"]'


def test_a_replay_in_docker_reads_the_recorded_snapshot(remote_project: Project) -> None:
    first = run_target(remote_project, Target("remote.py", "remote"), RunOptions(backend="docker"))
    fsspec.filesystem("memory").pipe("/docker-bucket/rows.csv", b"value\n2\n")
    replay = replay_run(remote_project, first.record.id)
    assert replay.replay.backend == "docker"
    assert replay.verification.verdict == "identical"
