"""``Dataset(url, mode="reference")``: the run pins a manifest of the
objects' sizes, ETags and versions (no byte of the data enters the store),
steps read a downloaded copy, and a replay reads the recorded versions back
or fails naming the objects that moved on. Against a real S3-compatible
server."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_testing import one_line_error
from pipeline_testing import cli, commit_all, dedent, executed, run_json
from s3_testing import S3Server

from repro.hashing import get_algorithm
from repro.pipelines.data import Dataset, InvalidDatasetError
from repro.project import Project, init_project
from repro.runner.closure import run_objects
from repro.runner.replay import replay_run
from repro.runner.run import RunOptions, RunOutcome, run_target
from repro.runner.status import pipeline_status
from repro.runner.targets import Target
from repro.snapshot import DatasetMovedOnError, read_manifest
from repro.snapshot.errors import PathNotFoundError

PIPELINE = """
from pathlib import Path

from repro import Dataset, pipeline, step


@step
def read(folder: Path) -> dict:
    if folder.is_file():
        return {{folder.name: folder.read_text()}}
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {{p.relative_to(folder).as_posix(): p.read_text() for p in files}}


@pipeline
def refs(data: Dataset = Dataset("s3://{bucket}/{key}", mode="{mode}")) -> None:
    read(data)
"""

FILES = {"data/a.csv": b"x\n1\n", "data/sub/b.txt": b"bee"}
TARGET = Target("refs.py", "refs")


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The test server, found by s3fs (here and in subprocesses) through
    botocore's endpoint variable."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    return s3_server


def _bucket(s3: S3Server, *, versioned: bool) -> str:
    bucket = s3.new_bucket(versioned=versioned)
    for key, data in FILES.items():
        s3.client().put_object(Bucket=bucket, Key=key, Body=data)
    return bucket


def _project(root: Path, bucket: str, mode: str = "reference", key: str = "data/") -> Project:
    (root / "refs.py").write_text(PIPELINE.format(bucket=bucket, mode=mode, key=key).lstrip())
    project = init_project(str(root)).project
    commit_all(root, "refs")
    return project


def _run(project: Project, **options: object) -> RunOutcome:
    outcome = run_target(project, TARGET, RunOptions(**options))  # type: ignore[arg-type]
    assert outcome.ok, outcome.record.steps
    return outcome


def _read_output(project: Project, outcome: RunOutcome) -> bytes:
    return project.store().read(outcome.record.steps["read"].outputs["output"].oid)


def test_a_reference_run_records_a_manifest_and_stores_no_data(
    s3: S3Server, git_repo: Path
) -> None:
    bucket = _bucket(s3, versioned=True)
    project = _project(git_repo, bucket)
    outcome = _run(project)
    assert _read_output(project, outcome) == b'{"a.csv":"x\\n1\\n","sub/b.txt":"bee"}'
    pinned = outcome.record.inputs[f"s3://{bucket}/data/"]
    assert (pinned.mode, pinned.kind, pinned.files, pinned.bytes) == ("reference", "folder", 2, 7)
    store = project.store()
    manifest = read_manifest(store, pinned.oid)
    assert [entry.version is not None for entry in manifest.entries] == [True, True]
    algorithm = get_algorithm(project.config.core.hash)
    for data in FILES.values():
        assert not store.exists(algorithm.hexdigest(data))
    assert "mode: reference" in (git_repo / "repro.lock").read_text()


def test_a_referenced_object_reaches_the_step_as_a_file(s3: S3Server, git_repo: Path) -> None:
    project = _project(git_repo, _bucket(s3, versioned=True), key="data/a.csv")
    outcome = _run(project)
    assert _read_output(project, outcome) == b'{"a.csv":"x\\n1\\n"}'
    (pinned,) = outcome.record.inputs.values()
    assert (pinned.kind, pinned.files) == ("file", 1)


def test_the_manifest_is_a_blob_of_the_run(s3: S3Server, git_repo: Path) -> None:
    project = _project(git_repo, _bucket(s3, versioned=False))
    record = _run(project).record
    (pinned,) = record.inputs.values()
    found = run_objects(record, project.config.core.hash)
    assert pinned.oid in found.blobs and pinned.oid not in found.trees


def test_unchanged_reference_data_is_a_cache_hit(s3: S3Server, git_repo: Path) -> None:
    project = _project(git_repo, _bucket(s3, versioned=True))
    first = _run(project)
    again = _run(project)
    assert again.record.steps["read"].status == "cached"
    assert again.record.inputs == first.record.inputs


def test_a_changed_object_is_named_by_status_and_reruns_the_step(
    s3: S3Server, git_repo: Path
) -> None:
    bucket = _bucket(s3, versioned=False)
    project = _project(git_repo, bucket)
    _run(project)
    s3.client().put_object(Bucket=bucket, Key="data/a.csv", Body=b"x\n2\n")
    (step,) = pipeline_status(project, TARGET).steps
    assert not step.fresh
    assert step.reasons == [f"input 'folder' changed (data s3://{bucket}/data/)"]
    assert executed(run_json(git_repo, TARGET.text)) == {"read"}  # no no-op on the fast path


def test_replay_reads_the_recorded_versions_of_a_versioned_bucket(
    s3: S3Server, git_repo: Path
) -> None:
    bucket = _bucket(s3, versioned=True)
    project = _project(git_repo, bucket)
    run = _run(project).record.id
    s3.client().put_object(Bucket=bucket, Key="data/a.csv", Body=b"overwritten")
    s3.client().delete_object(Bucket=bucket, Key="data/sub/b.txt")
    outcome = replay_run(project, run)
    assert outcome.verification.verdict == "identical", outcome.verification


def test_replay_of_an_unversioned_bucket_names_the_changed_object(
    s3: S3Server, git_repo: Path
) -> None:
    bucket = _bucket(s3, versioned=False)
    run = _run(_project(git_repo, bucket)).record.id
    s3.client().put_object(Bucket=bucket, Key="data/a.csv", Body=b"x\n2\n")
    error = one_line_error(cli(git_repo, "replay", run, "--verify"))
    assert f"dataset s3://{bucket}/data/ moved on" in error
    assert "1 object(s) changed or gone: a.csv (changed)" in error


def test_replay_of_an_unversioned_bucket_names_a_deleted_object(
    s3: S3Server, git_repo: Path
) -> None:
    bucket = _bucket(s3, versioned=False)
    project = _project(git_repo, bucket)
    run = _run(project).record.id
    s3.client().delete_object(Bucket=bucket, Key="data/sub/b.txt")
    with pytest.raises(DatasetMovedOnError, match=r"sub/b\.txt \(deleted\)"):
        replay_run(project, run)


def test_status_of_unchanged_reference_data_is_fresh(s3: S3Server, git_repo: Path) -> None:
    project = _project(git_repo, _bucket(s3, versioned=True))
    _run(project)
    assert pipeline_status(project, TARGET).fresh


def test_another_url_given_for_a_reference_dataset_is_referenced(
    s3: S3Server, git_repo: Path
) -> None:
    project = _project(git_repo, _bucket(s3, versioned=False))
    other = _bucket(s3, versioned=False)
    record = _run(project, params={"data": f"s3://{other}/data/"}).record
    assert record.inputs[f"s3://{other}/data/"].mode == "reference"


def test_copy_mode_on_s3_stores_the_data_and_replays_it(s3: S3Server, git_repo: Path) -> None:
    bucket = _bucket(s3, versioned=False)
    project = _project(git_repo, bucket, mode="copy")
    first = _run(project)
    pinned = first.record.inputs[f"s3://{bucket}/data/"]
    assert pinned.mode == "copy"
    assert project.store().exists(get_algorithm(project.config.core.hash).hexdigest(b"bee"))
    s3.client().put_object(Bucket=bucket, Key="data/a.csv", Body=b"x\n2\n")
    s3.client().delete_object(Bucket=bucket, Key="data/sub/b.txt")
    outcome = replay_run(project, first.record.id)
    assert outcome.verification.verdict == "identical", outcome.verification


def test_copy_mode_on_s3_sees_a_prefix_emptied_since_the_last_run(
    s3: S3Server, git_repo: Path
) -> None:
    bucket = _bucket(s3, versioned=False)
    project = _project(git_repo, bucket, mode="copy")
    _run(project)
    for key in FILES:
        s3.client().delete_object(Bucket=bucket, Key=key)
    with pytest.raises(PathNotFoundError, match=f"s3://{bucket}/data/: no such file"):
        run_target(project, TARGET, RunOptions())


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(InvalidDatasetError, match="mode must be 'copy' or 'reference', not 'link'"):
        Dataset("s3://bucket/data/", mode="link")  # type: ignore[arg-type]


def test_a_local_dataset_cannot_be_referenced() -> None:
    with pytest.raises(InvalidDatasetError, match="mode='reference' is for URLs"):
        Dataset("data/rows.csv", mode="reference")


def test_an_unknown_mode_in_a_pipeline_is_one_line(git_repo: Path) -> None:
    (git_repo / "refs.py").write_text(dedent(PIPELINE.format(bucket="b", mode="link", key="data/")))
    init_project(str(git_repo))
    error = one_line_error(cli(git_repo, "run", TARGET.text))
    assert "mode must be 'copy' or 'reference', not 'link'" in error
