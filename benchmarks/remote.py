"""Push and pull against a real S3-compatible server on loopback (moto).

A project whose pipeline reads a dataset of 10,000 files, 1 GiB in all
(1,000 files, 100 MiB with --quick), is run once, so that its snapshot is
in the local cache. Then, in interleaved rounds, each on a new bucket:

- ``repro push`` (the whole command: start-up, planning, upload) beside
  fsspec's own bulk ``put`` of the same files (s3fs, in a process of its
  own too). Goal: repro's speed at least 0.8x fsspec's.
- ``repro pull`` in a fresh clone (download, verify, write the 10,000
  files back into the project) beside fsspec's bulk ``get`` of the same
  files. Goal: at least 0.8x.
- After one file changes and the pipeline runs again, a second push: it
  must move one blob plus the tree, the step output and the record, and
  take under a tenth of the first push's time. Measured both as commands
  (a process each, whose start-up and imports - s3fs alone costs 0.6 s
  here - are a fixed cost) and in one process (as a CI job that runs and
  then pushes), each on a new bucket.

Every speed is a ratio measured in the same run (the machine is noisy);
bytecode caches are on, as on a user's machine.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import (
    GIT_IDENTITY,
    REPO_ROOT,
    Context,
    Report,
    note,
    print_table,
    run_command,
)
from benchmarks.projects import new_git_repo

__all__ = ["run"]

FILES = 10_000
TOTAL_BYTES = 1 << 30
SPEED_GOAL = 0.8
SECOND_PUSH_GOAL = 0.1

_PIPELINE = """\
from pathlib import Path

from repro import Dataset, pipeline, step


@step
def count(data: Path) -> int:
    return sum(1 for _ in data.rglob("*"))


@pipeline
def inventory(data: Dataset = Dataset("data")) -> None:
    count(data)
"""

_FSSPEC = """\
import sys, s3fs
fs = s3fs.S3FileSystem(endpoint_url=sys.argv[1], skip_instance_cache=True)
if sys.argv[2] == "put":
    fs.put(sys.argv[3], sys.argv[4], recursive=True)
else:
    fs.get(sys.argv[3], sys.argv[4], recursive=True)
"""


def run(ctx: Context) -> Report:
    report = Report("remote")
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from s3_testing import start_s3_server

    files = FILES // ctx.scale
    size = TOTAL_BYTES // ctx.scale
    rounds = 3 if not ctx.quick else 2
    server = start_s3_server()
    try:
        project = _project(ctx, files, size)
        env = _environment()
        seconds = _rounds(ctx, project, server, env, rounds)
        second = _second_push(ctx, project, server, env)
    finally:
        server.stop()
    _report(report, files, size, rounds, seconds, second)
    return report


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("REPRO_DEBUG", None)
    return env


def _project(ctx: Context, files: int, size: int) -> Path:
    project = new_git_repo(ctx.work / "remote-project")
    data = project / "data"
    note(f"writing {files} files, {size >> 20} MiB in all")
    each = size // files
    for index in range(files):
        path = data / f"{index % 100:02d}" / f"part-{index:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(each))
    (project / "inventory.py").write_text(_PIPELINE)
    (project / "pyproject.toml").write_text(
        '[tool.repro.pipelines]\ninventory = "inventory.py:inventory"\n'
    )
    (project / ".gitignore").write_text("/data/\n")
    run_command([ctx.repro, "init"], cwd=project)
    _commit(project, "inventory")
    note("first run: snapshot of the dataset into the local cache")
    run_command([ctx.repro, "run"], cwd=project)
    _commit(project, "lock")
    return project


def _commit(project: Path, message: str) -> None:
    run_command(["git", *GIT_IDENTITY, "add", "-A"], cwd=project)
    run_command(["git", *GIT_IDENTITY, "commit", "-q", "-m", message], cwd=project)


def _set_remote(ctx: Context, project: Path, bucket: str, endpoint: str) -> None:
    run_command(
        [
            ctx.repro,
            "remote",
            "add",
            "--local",
            "--force",
            "--default",
            "-o",
            f"endpoint_url={endpoint}",
            "bench",
            f"s3://{bucket}/repro",
        ],
        cwd=project,
    )


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = run_command(argv, cwd=cwd, env=env)
    return time.perf_counter() - started, out


def _rounds(
    ctx: Context, project: Path, server: object, env: dict[str, str], rounds: int
) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {"repro push": [], "fsspec put": [], "repro pull": []}
    seconds["fsspec get"] = []
    run_command([ctx.repro, "--version"], cwd=project, env=env)  # bytecode caches
    for index in range(rounds):
        note(f"round {index + 1} of {rounds}: push, put, pull, get")
        bucket = server.new_bucket()  # type: ignore[attr-defined]
        _set_remote(ctx, project, bucket, server.endpoint)  # type: ignore[attr-defined]
        os.sync()
        took, out = _timed([ctx.repro, "push", "--json"], project, env)
        assert json.loads(out)["moved"] > 0
        seconds["repro push"].append(took)
        raw = f"{server.new_bucket()}/raw"  # type: ignore[attr-defined]
        os.sync()
        argv = [ctx.python, "-c", _FSSPEC, server.endpoint, "put", str(project / "data"), raw]  # type: ignore[attr-defined]
        seconds["fsspec put"].append(_timed(argv, project, env)[0])
        clone = _clone(ctx, project, bucket, server.endpoint)  # type: ignore[attr-defined]
        os.sync()
        seconds["repro pull"].append(_timed([ctx.repro, "pull"], clone, env)[0])
        _check_same(project / "data", clone / "data")
        target = ctx.work / "fsspec-get"
        shutil.rmtree(target, ignore_errors=True)
        os.sync()
        argv = [ctx.python, "-c", _FSSPEC, server.endpoint, "get", raw, str(target)]  # type: ignore[attr-defined]
        seconds["fsspec get"].append(_timed(argv, project, env)[0])
        shutil.rmtree(clone)
        shutil.rmtree(target, ignore_errors=True)
    return seconds


def _clone(ctx: Context, project: Path, bucket: str, endpoint: str) -> Path:
    clone = ctx.work / "remote-clone"
    shutil.rmtree(clone, ignore_errors=True)
    run_command(["git", "clone", "-q", str(project), str(clone)], cwd=ctx.work)
    _set_remote(ctx, clone, bucket, endpoint)
    return clone


def _check_same(expected: Path, actual: Path) -> None:
    first = sorted(p.relative_to(expected) for p in expected.rglob("*") if p.is_file())
    second = sorted(p.relative_to(actual) for p in actual.rglob("*") if p.is_file())
    assert first == second, "the pulled dataset lacks files"
    sample = first[:: max(1, len(first) // 50)]
    assert all((expected / p).read_bytes() == (actual / p).read_bytes() for p in sample)


def _second_push(
    ctx: Context, project: Path, server: object, env: dict[str, str]
) -> dict[str, dict[str, float]]:
    """The first and second push, each way: as commands (a new process each
    time, start-up and imports included) and in one process (as a CI job
    that runs and then pushes does)."""
    note("second push after one file changed: as commands")
    cli = _push_twice(ctx, project, server, env, lambda: _push_command(ctx, project, env))
    note("second push after one file changed: in one process")
    from repro.project import Project
    from repro.runner.sync import push_runs

    def in_process() -> tuple[int, int]:
        outcome = push_runs(Project(str(project)))
        return outcome.report.moved, outcome.report.bytes

    with _environ(env):
        warm = _push_twice(ctx, project, server, env, in_process)
    return {"command": cli, "in_process": warm}


def _push_command(ctx: Context, project: Path, env: dict[str, str]) -> tuple[int, int]:
    doc = json.loads(run_command([ctx.repro, "push", "--json"], cwd=project, env=env))
    return doc["moved"], doc["bytes"]


def _push_twice(
    ctx: Context,
    project: Path,
    server: object,
    env: dict[str, str],
    push: Callable[[], tuple[int, int]],
) -> dict[str, float]:
    bucket = server.new_bucket()  # type: ignore[attr-defined]
    _set_remote(ctx, project, bucket, server.endpoint)  # type: ignore[attr-defined]
    started = time.perf_counter()
    push()
    first = time.perf_counter() - started
    changed = next((project / "data").rglob("*.bin"))
    changed.write_bytes(os.urandom(changed.stat().st_size))
    run_command([ctx.repro, "run"], cwd=project, env=env)
    started = time.perf_counter()
    moved, size = push()
    second = time.perf_counter() - started
    return {"first": first, "second": second, "moved": moved, "bytes": size}


@contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _report(
    report: Report,
    files: int,
    size: int,
    rounds: int,
    seconds: dict[str, list[float]],
    second: dict[str, dict[str, float]],
) -> None:
    median = {name: statistics.median(values) for name, values in seconds.items()}
    push_ratio = median["fsspec put"] / median["repro push"]
    pull_ratio = median["fsspec get"] / median["repro pull"]
    mb = size / 1e6
    print_table(
        f"{files} files, {size >> 20} MiB, to and from moto S3 on loopback; median of {rounds}",
        ["", "seconds", "MB/s", "speed vs fsspec"],
        [
            ["repro push", median["repro push"], mb / median["repro push"], push_ratio],
            ["fsspec put (s3fs, recursive)", median["fsspec put"], mb / median["fsspec put"], 1.0],
            [
                "repro pull (fresh clone)",
                median["repro pull"],
                mb / median["repro pull"],
                pull_ratio,
            ],
            ["fsspec get (s3fs, recursive)", median["fsspec get"], mb / median["fsspec get"], 1.0],
        ],
    )
    rows = []
    for way, figures in second.items():
        label = "as commands" if way == "command" else "in one process"
        rows.append([f"first push, {label}", figures["first"], "", "", ""])
        rows.append(
            [
                f"second push, {label}",
                figures["second"],
                figures["second"] / figures["first"],
                int(figures["moved"]),
                int(figures["bytes"]),
            ]
        )
    print_table(
        "second push after one file changed",
        ["", "seconds", "x first push", "objects moved", "bytes moved"],
        rows,
    )
    report.data["remote"] = {"seconds": seconds, "second_push": second}
    report.check(
        "repro push speed vs fsspec put",
        f"{push_ratio:.2f}x",
        f">= {SPEED_GOAL}x",
        push_ratio >= SPEED_GOAL,
    )
    report.check(
        "repro pull speed vs fsspec get",
        f"{pull_ratio:.2f}x",
        f">= {SPEED_GOAL}x",
        pull_ratio >= SPEED_GOAL,
    )
    for way, figures in second.items():
        ratio = figures["second"] / figures["first"]
        label = "as commands" if way == "command" else "in one process"
        report.check(
            f"second push (one file changed) / first push, {label}",
            f"{ratio:.3f}",
            f"< {SECOND_PUSH_GOAL}",
            ratio < SECOND_PUSH_GOAL,
        )
        report.check(
            f"objects moved by the second push, {label}",
            str(int(figures["moved"])),
            "<= 4 (blob, tree, output, record)",
            figures["moved"] <= 4,
        )
