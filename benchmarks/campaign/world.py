"""The world the campaign runs in: a temp area, Git projects (the
quickstart and a small "bulk" project with a larger data folder), folder
and S3 remotes, and listings of a whole folder tree to prove what a command
did not write."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.campaign.proc import Result, git, repro, set_extra_env

__all__ = [
    "ALGORITHM",
    "QUICKSTART",
    "S3",
    "World",
    "add_remote",
    "bulk_project",
    "clone",
    "commit_all",
    "diff_states",
    "folder_state",
    "latest_run",
    "make_tree_files",
    "must",
    "quickstart_project",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = REPO_ROOT / "examples" / "quickstart"
ALGORITHM = "xxh3-128"


class SetupError(RuntimeError):
    """A row could not even be set up (not a trial that failed)."""


def must(result: Result, what: str) -> Result:
    if result.code != 0:
        raise SetupError(f"{what}: {result.brief()}")
    return result


@dataclass
class World:
    """The campaign's temp area and its shared services."""

    root: Path
    rng: random.Random
    quick: bool
    s3: S3 | None = None

    def fresh(self, name: str) -> Path:
        """A new empty folder under the temp area."""
        base = self.root / name
        path = base
        n = 1
        while path.exists():
            n += 1
            path = self.root / f"{name}-{n}"
        path.mkdir(parents=True)
        return path

    def s3_server(self) -> S3:
        if self.s3 is None:
            self.s3 = S3.start()
        return self.s3

    def close(self) -> None:
        if self.s3 is not None:
            self.s3.stop()
            self.s3 = None


# projects


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def quickstart_project(dest: Path, *, data_in_git: bool = True) -> Path:
    """The quickstart example, as the demo makes it: only what it ships,
    in a fresh Git repository on main. ``data_in_git=False`` keeps data/
    out of Git, so that a clone depends on the remote for it."""
    shutil.copytree(
        QUICKSTART,
        dest,
        ignore=shutil.ignore_patterns("demo.sh", "repro.lock", "outputs", "__pycache__"),
    )
    for name in ("cache", "runs", "steps", "tmp"):
        shutil.rmtree(dest / ".repro" / name, ignore_errors=True)
    (dest / ".repro" / "config.local.toml").unlink(missing_ok=True)
    if not data_in_git:
        (dest / ".gitignore").write_text("/data/\n/outputs/\n")
    else:
        (dest / ".gitignore").write_text("/outputs/\n")
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "quickstart")
    return dest


BULK_PIPELINE = '''\
"""A light pipeline over a larger data folder: what the push rows move."""

import hashlib
from pathlib import Path

from repro import Dataset, pipeline, step


@step
def digest(folder: Path) -> str:
    total = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            total.update(path.name.encode())
            total.update(path.read_bytes())
    return total.hexdigest()


@step
def summarize(checksum: str, salt: int) -> dict:
    return {"digest": checksum, "salt": salt}


@pipeline
def bulk(salt: int = 0, data: Dataset = Dataset("data/bulk/")) -> None:
    summarize(digest(data), salt=salt)
'''

BULK_PYPROJECT = """\
[project]
name = "campaign-bulk"
version = "0.1.0"

[tool.repro.pipelines]
bulk = "pipeline.py:bulk"
"""


def bulk_project(
    dest: Path, *, files: int, mib: int, seed: int = 19, data_in_git: bool = False
) -> Path:
    """A Git project whose pipeline reads ``data/bulk/`` (``files`` files,
    about ``mib`` MiB, a few of them large enough to be stored loose, the
    rest packed); data is kept out of Git unless ``data_in_git``."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "pipeline.py").write_text(BULK_PIPELINE)
    (dest / "pyproject.toml").write_text(BULK_PYPROJECT)
    (dest / ".gitignore").write_text("/outputs/\n" if data_in_git else "/data/\n/outputs/\n")
    make_tree_files(dest / "data" / "bulk", files=files, mib=mib, seed=seed)
    git(dest, "init", "-q", "-b", "main")
    must(repro(dest, "init"), "repro init")
    commit_all(dest, "bulk project")
    return dest


def make_tree_files(root: Path, *, files: int, mib: int, seed: int = 19) -> None:
    """``files`` files of random bytes, about ``mib`` MiB in all, in two
    levels of folders: one in 200 is large (stored loose), the rest small
    (packed)."""
    rng = random.Random(seed)
    total = mib << 20
    big = max(1, files // 200)
    big_size = max(1 << 20, int(total * 0.3 / big))
    small_avg = max(64, int(total * 0.7 / max(1, files - big)))
    for i in range(files):
        folder = root / f"d{i % 97:02d}" / f"s{(i // 97) % 13:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        size = big_size if i % 200 == 0 else rng.randint(small_avg // 4, small_avg * 7 // 4)
        (folder / f"f{i:05d}.bin").write_bytes(rng.randbytes(size))


def set_default_remote(project: Path, table: str) -> None:
    """Make ``table`` (a ``[remote.origin]`` TOML table) the default remote."""
    config = project / ".repro" / "config.toml"
    text = config.read_text()
    if 'remote = "origin"' not in text:
        text = text.replace("[core]\n", '[core]\nremote = "origin"\n', 1)
    config.write_text(text.rstrip("\n") + "\n\n" + table)


def remote_table(url: str, endpoint: str | None = None) -> str:
    table = f'[remote.origin]\nurl = "{url}"\n'
    if endpoint:
        table += f'endpoint_url = "{endpoint}"\n'
    return table


def add_remote(project: Path, url: str, *, endpoint: str | None = None) -> None:
    set_default_remote(project, remote_table(url, endpoint))


def local_remote(project: Path, url: str, *, endpoint: str | None = None) -> None:
    """Point this clone alone at a remote (``config.local.toml``, ignored)."""
    text = '[core]\nremote = "origin"\n\n' + remote_table(url, endpoint)
    (project / ".repro" / "config.local.toml").write_text(text)


def clone(origin: Path, dest: Path) -> Path:
    git(origin.parent, "clone", "-q", str(origin), str(dest))
    return dest


def latest_run(project: Path) -> str:
    listed = must(repro(project, "runs", "list", "--json"), "runs list")
    runs: list[dict[str, Any]] = json.loads(listed.out)
    if not runs:
        raise SetupError(f"no run recorded in {project}")
    return str(runs[-1]["id"])


def locked_run(project: Path, pipeline: str) -> str | None:
    """The run repro.lock pins for ``pipeline`` (read as plain YAML)."""
    import yaml

    path = project / "repro.lock"
    if not path.exists():
        return None
    doc = yaml.safe_load(path.read_text())
    entry = (doc or {}).get("pipelines", {}).get(pipeline) or {}
    run = entry.get("run")
    return str(run) if run else None


# listings


def folder_state(
    root: Path, skip: Iterable[Path] = (), *, modes: bool = True
) -> dict[str, tuple[Any, ...]]:
    """Every entry under ``root`` (but the ``skip`` subtrees) with its type,
    mode and content hash: compared before and after a command, it shows
    every file the command wrote, changed or removed."""
    skipped = {os.path.abspath(p) for p in skip}
    state: dict[str, tuple[Any, ...]] = {}
    for folder, dirs, names in os.walk(root):
        keep = []
        for name in dirs:
            full = os.path.join(folder, name)
            if full in skipped:
                continue
            info = os.lstat(full)
            state[os.path.relpath(full, root)] = ("dir", stat.S_IMODE(info.st_mode) if modes else 0)
            if stat.S_ISLNK(info.st_mode):
                state[os.path.relpath(full, root)] = ("link", os.readlink(full))
            else:
                keep.append(name)
        dirs[:] = keep
        for name in names:
            full = os.path.join(folder, name)
            if full in skipped:
                continue
            info = os.lstat(full)
            rel = os.path.relpath(full, root)
            if stat.S_ISLNK(info.st_mode):
                state[rel] = ("link", os.readlink(full))
            elif stat.S_ISREG(info.st_mode):
                mode = stat.S_IMODE(info.st_mode) if modes else 0
                state[rel] = ("file", mode, _digest(full, info.st_size))
            else:
                state[rel] = ("other", info.st_mode)
    return state


def _digest(path: str, size: int) -> str:
    if size > (64 << 20):
        return f"size:{size}"
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def diff_states(before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]]) -> list[str]:
    """What changed, as ``+path`` (new), ``-path`` (gone), ``~path`` (changed)."""
    changes = [f"+{p}" for p in sorted(after.keys() - before.keys())]
    changes += [f"-{p}" for p in sorted(before.keys() - after.keys())]
    changes += [f"~{p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return changes


# S3 on loopback


@dataclass
class S3:
    """moto's server on loopback, as the test suite starts it."""

    endpoint: str
    process: subprocess.Popen[bytes]

    KEY = "campaign-key"
    SECRET = "campaign-secret"

    @classmethod
    def start(cls, timeout: float = 60.0) -> S3:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise SetupError(f"the S3 server (moto) exited with code {process.returncode}")
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    process.kill()
                    raise SetupError(f"the S3 server did not answer on {endpoint}") from None
                time.sleep(0.1)
        credentials = {
            "AWS_ACCESS_KEY_ID": cls.KEY,
            "AWS_SECRET_ACCESS_KEY": cls.SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        os.environ.update(credentials)
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        set_extra_env(credentials)
        return cls(endpoint, process)

    def client(self) -> Any:
        cached = self.__dict__.get("_client")
        if cached is None:
            import boto3  # type: ignore[import-untyped]

            cached = boto3.client(
                "s3",
                endpoint_url=self.endpoint,
                aws_access_key_id=self.KEY,
                aws_secret_access_key=self.SECRET,
                region_name="us-east-1",
            )
            self.__dict__["_client"] = cached
        return cached

    def any_key(self, bucket: str) -> bool:
        return bool(self.client().list_objects_v2(Bucket=bucket, MaxKeys=1).get("KeyCount"))

    def new_bucket(self) -> str:
        name = f"campaign-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> dict[str, int]:
        client = self.client()
        found: dict[str, int] = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                found[item["Key"]] = int(item["Size"])
        return found

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
