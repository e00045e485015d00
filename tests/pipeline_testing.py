"""A small pipeline project in a real Git repository, and a way to run the
real ``repro`` command in it, for the runner and CLI tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro_testing import git

FLOW = '''\
"""A four-step pipeline over a CSV: load -> scale -> total -> describe."""

import csv
from pathlib import Path

from helpers import scale
from repro import Dataset, log_metric, pipeline, step


@step
def load(path: Path) -> list:
    with open(path, newline="") as file:
        return [int(row["value"]) for row in csv.DictReader(file)]


@step
def transform(values: list, factor: int) -> list:
    return [scale(v, factor) for v in values]


@step
def total(values: list) -> float:
    result = float(sum(values))
    log_metric("total", result)
    return result


@step
def describe(values: list) -> dict:
    return {"count": len(values), "max": max(values)}


@pipeline
def flow(factor: int = 3, data: Dataset = Dataset("data/rows.csv")) -> None:
    values = load(data)
    scaled = transform(values, factor=factor)
    total(scaled)
    describe(values)
'''

HELPERS = """\
def scale(value: int, factor: int) -> int:
    return value * factor
"""

UNRELATED = """\
def unused() -> int:
    return 1
"""

OTHER = '''\
"""A second pipeline, independent of flow."""

from repro import pipeline, step


@step
def double(value: int) -> int:
    return value * 2


@pipeline
def other(value: int = 21) -> None:
    double(value)
'''

PYPROJECT = """\
[tool.repro.pipelines]
flow = "flow.py:flow"
"""


def make_flow_project(root: Path, *, commit: bool = True) -> Path:
    files = {
        "flow.py": FLOW,
        "helpers.py": HELPERS,
        "unrelated.py": UNRELATED,
        "pyproject.toml": PYPROJECT,
        "data/rows.csv": "value\n1\n2\n3\n4\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert cli(root, "init").code == 0
    if commit:
        commit_all(root, "flow project")
    return root


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def _environ(env: dict[str, str] | None = None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "REPRO_DEBUG"}
    environ.update(env or {})
    return environ


# `python -m repro` with Ctrl-C as a terminal gives it: a suite started in
# the background by a shell inherits an ignored SIGINT, and so would repro,
# and then no Ctrl-C test could interrupt it.
_WITH_CTRL_C = (
    "import runpy, signal, sys; "
    "signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'repro'; "
    "runpy.run_module('repro', run_name='__main__', alter_sys=True)"
)


def start_repro(cwd: Path, *args: str) -> subprocess.Popen[str]:
    """The real ``repro`` command, left running (to kill it, interrupt it,
    or change files under it)."""
    return subprocess.Popen(
        [sys.executable, "-c", _WITH_CTRL_C, *args],
        cwd=cwd,
        env=_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def cli(cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
    done = subprocess.run(
        [sys.executable, "-m", "repro", *args],
        cwd=cwd,
        env=_environ(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def run_json(cwd: Path, *args: str) -> dict[str, Any]:
    result = cli(cwd, "run", "--json", *args)
    assert result.code == 0, result
    doc: dict[str, Any] = result.json()
    return doc


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {step["name"]: step["status"] for step in doc["steps"]}


def executed(doc: dict[str, Any]) -> set[str]:
    return {name for name, status in statuses(doc).items() if status == "executed"}


def run_and_push_to_folder(root: Path, remote: Path) -> str:
    """The flow project in ``root`` (its data out of Git, ``remote`` its
    default remote), run, its lock committed and pushed: the run id."""
    make_flow_project(root, commit=False)
    (root / ".gitignore").write_text("/data/\n")
    config = root / ".repro/config.toml"
    text = config.read_text().replace("[core]\n", '[core]\nremote = "origin"\n')
    config.write_text(f'{text}\n[remote.origin]\nurl = "{remote}"\n')
    commit_all(root, "flow project, data not in Git")
    run: str = run_json(root)["run"]
    commit_all(root, "lock")
    done = cli(root, "push")
    assert done.code == 0, done
    return run
