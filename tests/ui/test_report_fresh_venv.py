"""``pip install 'repro-gitops[ui]'`` is all a report needs: in a fresh
virtual environment, with no Graphviz on the PATH, ``repro report`` draws
the run's DAG as an inline SVG."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_testing import commit_all

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = """\
from repro import pipeline, sh


@pipeline
def hello() -> None:
    sh("echo hello > greeting.txt", name="greet", outs=["greeting.txt"])
"""
PYPROJECT = """\
[tool.repro.pipelines]
hello = "pipeline.py:hello"
"""


def _fresh_venv(folder: Path) -> Path:
    """A virtual environment holding this checkout, installed as a user
    installs it (not editable), and its dependencies from the index."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run(
        [str(folder / "bin" / "python"), "-m", "pip", "install", "-q", f"{ROOT}[ui]"],
        check=True,
        timeout=600,
    )
    return folder / "bin"


def _tools_without_dot(folder: Path) -> Path:
    """A folder with git and sh alone: /usr/bin may hold dot as well."""
    folder.mkdir()
    for tool in ("git", "sh"):
        found = shutil.which(tool)
        assert found is not None, f"{tool} is not installed"
        (folder / tool).symlink_to(found)
    return folder


def _repro(bin_dir: Path, path: str, cwd: Path, *args: str) -> str:
    # No PYTHONPATH, no VIRTUAL_ENV: the fresh install's repro, not this checkout.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(bin_dir / "repro"), *args],
        cwd=cwd,
        env={**env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_a_fresh_install_draws_the_dag_without_graphviz(tmp_path: Path, git_repo: Path) -> None:
    bin_dir = _fresh_venv(tmp_path / "venv")
    path = os.pathsep.join([str(bin_dir), str(_tools_without_dot(tmp_path / "tools"))])
    assert shutil.which("dot", path=path) is None
    (git_repo / "pipeline.py").write_text(PIPELINE)
    (git_repo / "pyproject.toml").write_text(PYPROJECT)
    _repro(bin_dir, path, git_repo, "init")
    commit_all(git_repo, "hello")
    run = json.loads(_repro(bin_dir, path, git_repo, "run", "--json"))["run"]
    _repro(bin_dir, path, git_repo, "report", run, "-o", "out.html")
    html = (git_repo / "out.html").read_text(encoding="utf-8")
    dag = html[html.index('id="dag"') :]
    assert dag.index("<svg") < dag.index('<g class="node"') < dag.index(">greet</text>")
