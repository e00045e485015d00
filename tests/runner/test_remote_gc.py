"""``repro gc --remote`` and ``repro fsck --remote`` against a local-folder
remote and a real S3-compatible server. The remote is filled by writing
through its store directly (small objects in a pack, the rest loose, a
``runs/<run-id>`` entry per run), as a push would leave it."""

from __future__ import annotations

from pathlib import Path

import pytest
from gc_testing import History, build_history
from s3_testing import S3Server

from repro.lineage.runs import RunIndex
from repro.project import Project
from repro.remotes import RemoteNotFoundError, UnknownRemoteError, get_remote
from repro.runner.closure import record_oid
from repro.runner.gc import collect_garbage
from repro.runner.remote_fsck import fsck_remote
from repro.store import FsspecBackend, LocalBackend, ObjectStore


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build_history(tmp_path_factory.mktemp("history") / "repo")


def _remote_table(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "folder":
        (tmp_path / "remote").mkdir()
        return f'[remote.origin]\nurl = "{tmp_path / "remote"}"\n'
    server: S3Server = request.getfixturevalue("s3_server")
    bucket = server.new_bucket()
    return f'[remote.origin]\nurl = "s3://{bucket}/repro"\nendpoint_url = "{server.endpoint}"\n'


@pytest.fixture(params=["folder", "s3"])
def repo(history: History, tmp_path: Path, request: pytest.FixtureRequest) -> Project:
    """A copy of the history with a default remote holding every run."""
    project = history.copy(tmp_path / "repo")
    config = Path(project.repro_dir) / "config.toml"
    text = config.read_text().replace("[core]\n", '[core]\nremote = "origin"\n')
    config.write_text(text + "\n" + _remote_table(request.param, tmp_path, request))
    project = Project(project.root)  # the config is read once per Project
    _fill(project, _remote_store(project), packed=history.objects["old"])
    return project


def _remote_store(project: Project) -> ObjectStore:
    return get_remote(project.config, None).store(project.config.core.hash)


def _fill(project: Project, remote: ObjectStore, packed: set[str]) -> None:
    """Every local object, those packed here and ``packed`` in one pack,
    the rest loose."""
    local = project.store()
    packed = packed | {oid for oid, _ in local.iter_packed()}
    with remote.batch() as batch:
        for oid in sorted(packed):
            batch.add_known(oid, local.read(oid))
    for oid in set(local.iter_loose()) - packed:
        remote.write(local.read(oid))
    index = RunIndex(project.repro_dir)
    for record in index.records():
        oid = record_oid(record, project.config.core.hash)
        remote.backend.write_atomic(f"runs/{record.id}", [f"{oid}\n".encode()])


def _overwrite(store: ObjectStore, path: str, data: bytes) -> None:
    backend = store.backend
    if isinstance(backend, LocalBackend):
        Path(backend.full(path)).chmod(0o644)  # objects are read-only
        Path(backend.full(path)).write_bytes(data)
    else:
        assert isinstance(backend, FsspecBackend)
        backend.fs.pipe_file(backend.full(path), data)


def test_remote_gc_removes_what_no_kept_run_needs(repo: Project, history: History) -> None:
    outcome = collect_garbage(repo, remote=True, grace_seconds=0)
    assert outcome.remote is not None and outcome.remote_name == "origin"
    remote = _remote_store(repo)
    gone = history.objects["old"] | history.objects["loose"]
    kept = history.objects["head"] | history.objects["feature"] | history.objects["tagged"]
    assert remote.missing(gone | kept) == gone
    for oid in kept:
        remote.read(oid)  # verified against its id
    assert outcome.remote.removed == outcome.local.removed == len(gone)
    assert outcome.remote.packs_rewritten == 1  # the pack held live and dead objects


def test_remote_gc_forgets_the_runs_it_does_not_keep(repo: Project, history: History) -> None:
    outcome = collect_garbage(repo, remote=True, grace_seconds=0)
    runs = history.runs
    assert sorted(outcome.remote_forgotten) == sorted([runs["old"], runs["loose"]])
    listed = set(_remote_store(repo).backend.listdir("runs"))
    assert listed == {runs["head"], runs["feature"], runs["tagged"]}


def test_a_dry_run_on_the_remote_removes_nothing(repo: Project, history: History) -> None:
    outcome = collect_garbage(repo, remote="origin", dry_run=True, grace_seconds=0)
    assert outcome.remote is not None and outcome.remote.removed > 0
    remote = _remote_store(repo)
    assert not remote.missing(history.objects["old"])
    assert len(remote.backend.listdir("runs")) == len(history.runs)


def test_a_recent_run_known_only_to_the_remote_is_kept_with_keep_days(
    repo: Project, history: History
) -> None:
    loose = history.runs["loose"]
    index = RunIndex(repo.repro_dir)
    oid = record_oid(index.load(loose), repo.config.core.hash)
    Path(index.folder, f"{loose}.json").unlink()
    local = repo.store()
    local.backend.remove(local.loose_path(oid))  # the record is on the remote only
    outcome = collect_garbage(repo, remote=True, keep_days=1, grace_seconds=0)
    assert outcome.kept.reasons[loose] == "started in the last 1 days"
    remote = _remote_store(repo)
    assert remote.missing(history.objects["loose"]) == set()
    assert loose in remote.backend.listdir("runs")


def test_fsck_remote_of_a_healthy_remote_is_ok(repo: Project) -> None:
    report = fsck_remote(repo, "origin")
    assert report.ok and report.checked > 0 and report.trees > 0


def test_fsck_remote_names_a_corrupt_object_by_its_id(repo: Project, history: History) -> None:
    remote = _remote_store(repo)
    oid = next(o for o in sorted(history.objects["head"]) if not remote.is_packed(o))
    _overwrite(remote, remote.loose_path(oid), b"not what was stored")
    for sample in (None, 10_000):
        report = fsck_remote(repo, None, sample)
        assert [p.oid for p in report.problems] == [oid], sample
        assert report.problems[0].reason.startswith("content hashes to ")


def test_fsck_remote_names_a_listed_run_whose_record_is_missing(
    repo: Project, history: History
) -> None:
    remote = _remote_store(repo)
    run = history.runs["head"]
    oid = remote.backend.read_bytes(f"runs/{run}").decode().strip()
    remote.backend.remove(remote.loose_path(oid))
    [problem] = fsck_remote(repo, "origin").problems
    assert (problem.where, problem.oid) == (f"runs/{run}", oid)
    assert problem.reason == "names a record that is missing"


def test_fsck_remote_of_an_unknown_remote_fails(repo: Project) -> None:
    with pytest.raises(UnknownRemoteError, match="no remote named 'nowhere'"):
        fsck_remote(repo, "nowhere")


def test_remote_gc_of_a_bucket_that_does_not_exist_fails_before_removing_anything(
    history: History, tmp_path: Path, s3_server: S3Server
) -> None:
    project = history.copy(tmp_path / "repo")
    config = Path(project.repro_dir) / "config.toml"
    table = (
        f'[remote.gone]\nurl = "s3://no-such-bucket/repro"\nendpoint_url = "{s3_server.endpoint}"\n'
    )
    config.write_text(config.read_text() + "\n" + table)
    before = sorted(Path(project.cache_dir).rglob("*"))
    with pytest.raises(RemoteNotFoundError, match="bucket 'no-such-bucket' does not exist"):
        collect_garbage(Project(project.root), remote="gone", grace_seconds=0)
    assert sorted(Path(project.cache_dir).rglob("*")) == before
