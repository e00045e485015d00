"""The project the fuzz suite attacks, built once per test process by a real
``repro run`` in a real Git repository, and copied for every example.

Layout of the template (and of every case, its copy)::

    ws/project/     the Git work tree: flow.py, lib/ (tracked source), data/
                    (a file and a folder dataset), shared -> ../../victim (a
                    user's own symlink out of the project), models.yaml (a
                    promotion), repro.lock, .repro/ (config, cache, runs)
    remote/         the project's folder remote (``../../remote``, relative,
                    so that a copy points at its own remote), pushed to
    victim/         a folder beside the project that nothing may touch
    tmp/, home/     TMPDIR and HOME of every command run in the case

The pipeline has a file dataset, a folder dataset, a model (a promotion in
models.yaml), a JSON output and a folder (tree) output, so that every kind
of thing a record names exists for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from repro_testing import git

FLOW = '''\
"""A small pipeline for the fuzz suite: a file and a folder dataset, a
model, a folder output."""

import csv
import json
import tempfile
from pathlib import Path

from lib.scale import scale
from repro import Dataset, Model, log_metric, pipeline, step


@step
def load(path: Path) -> list:
    with open(path, newline="") as file:
        return [int(row["value"]) for row in csv.DictReader(file)]


@step
def notes(folder: Path) -> str:
    return "\\n".join(path.read_text() for path in sorted(folder.glob("*.txt")))


@step
def fit(values: list, factor: int) -> dict:
    weight = scale(sum(values), factor)
    log_metric("weight", float(weight))
    return {"weight": weight}


@step
def bundle(model: dict, text: str) -> Path:
    folder = Path(tempfile.mkdtemp()) / "bundle"
    folder.mkdir()
    (folder / "model.json").write_text(json.dumps(model))
    (folder / "notes.txt").write_text(text)
    return folder


@pipeline(model=Model(name="tiny", step="fit"))
def flow(
    factor: int = 3,
    data: Dataset = Dataset("data/rows.csv"),
    extra: Dataset = Dataset("data/extra/"),
) -> None:
    values = load(data)
    text = notes(extra)
    model = fit(values, factor=factor)
    bundle(model, text)
'''

FILES = {
    "flow.py": FLOW,
    "lib/__init__.py": "",
    "lib/scale.py": "def scale(value: int, factor: int) -> int:\n    return value * factor\n",
    "data/rows.csv": "value\n1\n2\n3\n",
    "data/extra/a.txt": "a\n",
    "data/extra/b.txt": "b\n",
    "pyproject.toml": '[tool.repro.pipelines]\nflow = "flow.py:flow"\n',
}

PROJECT = Path("ws/project")
REMOTE = Path("remote")
VICTIM = Path("victim")
ALGORITHM = "xxh3-128"
# A line a crafted uncommitted diff adds to flow.py: if a replay runs it, a
# file appears in the victim folder. {VICTIM} is the case's victim folder.
DIFF_MARKER = "# -- crafted --"


class Template:
    """The built project, and what its real run recorded. (A plain class:
    hypothesis prints a dataclass argument field by field, and this one
    holds whole files.)"""

    def __init__(
        self,
        base: Path,
        run: str,
        record: dict[str, Any],
        record_oid: str,
        lock: str,
        models: str,
        config: str,
        diff: bytes,
        commit: str,
    ) -> None:
        self.base = base
        self.run = run  # the real run's id
        self.record = record  # its record, as JSON
        self.record_oid = record_oid
        self.lock = lock  # repro.lock as committed
        self.models = models  # models.yaml as committed
        self.config = config  # .repro/config.toml as committed
        self.diff = diff  # a `git diff` of flow.py that writes {VICTIM}/pwned-diff at import
        self.commit = commit  # HEAD

    @property
    def project(self) -> Path:
        return self.base / PROJECT

    def __repr__(self) -> str:
        return f"Template({str(self.base)!r}, run={self.run!r})"


def repro(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REPRO_DEBUG"}
    done = subprocess.run(
        [sys.executable, "-m", "repro", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"repro {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def build_template(base: Path) -> Template:
    project = base / PROJECT
    project.mkdir(parents=True)
    for folder in (REMOTE, VICTIM, Path("tmp"), Path("home")):
        (base / folder).mkdir()
    (base / VICTIM / "keep.txt").write_text("nothing may touch this\n")
    for name, text in FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    os.symlink("../../victim", project / "shared")
    git(project, "init", "-q", "-b", "main")
    repro(project, "init")
    repro(project, "remote", "add", "origin", "../../remote", "--default")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "project")
    repro(project, "run")
    version = json.loads(repro(project, "models", "list", "--json").stdout)[0]["version"]
    repro(project, "models", "promote", "tiny", version, "--alias", "production")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "lock and promotion")
    repro(project, "push")
    run = json.loads(repro(project, "runs", "list", "--json").stdout)[-1]["id"]
    record = json.loads((project / ".repro" / "runs" / f"{run}.json").read_text())
    lock = (project / "repro.lock").read_text()
    record_oid = next(
        line.split(":", 1)[1].strip() for line in lock.splitlines() if "record:" in line
    )
    diff = _crafted_diff(project)
    return Template(
        base=base,
        run=run,
        record=record,
        record_oid=record_oid,
        lock=lock,
        models=(project / "models.yaml").read_text(),
        config=(project / ".repro" / "config.toml").read_text(),
        diff=diff,
        commit=git(project, "rev-parse", "HEAD").strip(),
    )


def _crafted_diff(project: Path) -> bytes:
    """What an attacker would store as a run's uncommitted diff: flow.py,
    changed to write a file outside the project when it is imported."""
    flow = project / "flow.py"
    original = flow.read_text()
    payload = f'{DIFF_MARKER}\nopen("{{VICTIM}}/pwned-diff", "w").write("diff ran")\n'
    flow.write_text(original.replace("from lib.scale", payload + "from lib.scale", 1))
    try:
        return git(project, "diff", "--", "flow.py").encode()
    finally:
        flow.write_text(original)


def copy_template(template: Template, dest: Path) -> None:
    shutil.copytree(template.base, dest, symlinks=True)
