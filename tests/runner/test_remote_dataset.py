"""A Dataset given as an fsspec URL is snapshotted into the store and the
step reads a local copy; the record pins its tree id."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pytest
from pipeline_testing import commit_all, dedent

from repro.project import Project, init_project
from repro.runner.run import RunOptions, run_target
from repro.runner.targets import Target

PIPELINE = dedent("""
    from pathlib import Path

    from repro import Dataset, pipeline, step


    @step
    def read(path: Path) -> str:
        assert path.is_file(), path
        return path.read_text()


    @step
    def count(folder: Path) -> list:
        return sorted(p.name for p in folder.iterdir())


    @pipeline
    def remote(
        one: Dataset = Dataset("memory://bucket/rows.csv"),
        many: Dataset = Dataset("memory://bucket/parts/"),
    ) -> None:
        read(one)
        count(many)
""")


@pytest.fixture
def remote_project(git_repo: Path) -> Project:
    fs = fsspec.filesystem("memory")
    fs.pipe(
        {
            "/bucket/rows.csv": b"value\n1\n",
            "/bucket/parts/a.txt": b"a",
            "/bucket/parts/b.txt": b"b",
        }
    )
    (git_repo / "remote.py").write_text(PIPELINE)
    project = init_project(str(git_repo)).project
    commit_all(git_repo, "remote")
    yield project
    fs.rm("/bucket", recursive=True)


def test_url_datasets_are_snapshotted_and_read_locally(remote_project: Project) -> None:
    outcome = run_target(remote_project, Target("remote.py", "remote"), RunOptions())
    assert outcome.ok, outcome.record
    record = outcome.record
    assert set(record.inputs) == {"memory://bucket/rows.csv", "memory://bucket/parts/"}
    assert record.inputs["memory://bucket/parts/"].files == 2
    store = remote_project.store()
    read = record.steps["read"].outputs["output"]
    assert store.read(read.oid) == b"value\n1\n"
    count = record.steps["count"].outputs["output"]
    assert store.read(count.oid) == b'["a.txt","b.txt"]'
    for snapshot in record.inputs.values():
        assert store.exists(snapshot.oid)


def test_a_changed_object_reruns_its_reader(remote_project: Project) -> None:
    target = Target("remote.py", "remote")
    run_target(remote_project, target, RunOptions())
    fsspec.filesystem("memory").pipe("/bucket/rows.csv", b"value\n2\n")
    outcome = run_target(remote_project, target, RunOptions())
    statuses = {e.step: e.status for e in outcome.events}
    assert statuses == {"read": "executed", "count": "cached"}


def test_replay_reads_the_recorded_snapshot_not_the_source(remote_project: Project) -> None:
    from repro.runner.replay import replay_run

    first = run_target(remote_project, Target("remote.py", "remote"), RunOptions())
    fsspec.filesystem("memory").pipe("/bucket/rows.csv", b"value\n999\n")
    outcome = replay_run(remote_project, first.record.id)
    assert outcome.verification.verdict == "identical", outcome.verification


def test_a_file_url_dataset_reaches_the_step_as_a_path(git_repo: Path) -> None:
    (git_repo / "data.txt").write_text("hello")
    (git_repo / "local.py").write_text(
        dedent("""
        from pathlib import Path

        from repro import Dataset, pipeline, step


        @step
        def read(path: Path) -> str:
            return path.read_text()


        @pipeline
        def local(data: Dataset = Dataset("file://data.txt")) -> None:
            read(data)
    """)
    )
    project = init_project(str(git_repo)).project
    commit_all(git_repo, "local")
    outcome = run_target(project, Target("local.py", "local"), RunOptions())
    assert outcome.ok, outcome.record.steps["read"].error
    oid = outcome.record.steps["read"].outputs["output"].oid
    assert project.store().read(oid) == b"hello"
