"""A lock made on one machine is judged fresh on another (issue 6, item 7):
in a virtual environment without a package the project neither declares
nor imports, in a clone at another path, under another user and home.
The environment part of a fingerprint is what the project declares (its
lock file) and what its steps import; paths, users and hosts never enter."""

from __future__ import annotations

import os
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
from ci_testing import clone
from conftest import Venvs
from pipeline_testing import Result, cli, commit_all, edit, make_flow_project

HELPERS = """\
import yaml


def scale(value: int, factor: int) -> int:
    return int(yaml.safe_load(str(value))) * factor
"""

# A step that imports a package one environment lacks: the control that
# shows a distribution a step imports does count.
SIXFLOW = """\
from repro import pipeline, step


@step
def name() -> str:
    import six

    return six.__name__


@pipeline
def sixflow() -> None:
    name()
"""

PIPELINES = """\
[tool.repro.pipelines]
flow = "flow.py:flow"
sixflow = "sixflow.py:sixflow"
"""


def repro_in(bin_dir: Path, cwd: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """The ``repro`` script of a virtual environment, as its user runs it."""
    environ = {k: v for k, v in os.environ.items() if k not in ("REPRO_DEBUG", "PYTHONPATH")}
    environ.update({"PATH": f"{bin_dir}{os.pathsep}{environ['PATH']}", **(env or {})})
    environ["VIRTUAL_ENV"] = str(bin_dir.parent)
    done = subprocess.run(
        [str(bin_dir / "repro"), *args], cwd=cwd, env=environ, capture_output=True, text=True
    )
    return Result(done.returncode, done.stdout, done.stderr)


def _project(root: Path) -> Path:
    """The flow project, its helper importing yaml, its lock file pinning it."""
    make_flow_project(root, commit=False)
    (root / "helpers.py").write_text(HELPERS)
    (root / "sixflow.py").write_text(SIXFLOW)
    (root / "requirements.txt").write_text(f"pyyaml=={version('pyyaml')}\n")
    edit(root / "pyproject.toml", '[tool.repro.pipelines]\nflow = "flow.py:flow"\n', PIPELINES)
    commit_all(root, "flow project with a lock file")
    return root


@pytest.fixture(scope="module")
def laptop_project(tmp_path_factory: pytest.TempPathFactory, venvs: Venvs) -> Path:
    """Run on the "laptop" (the environment with the extra package); the lock committed."""
    from repro_testing import git

    root = tmp_path_factory.mktemp("laptop") / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    _project(root)
    result = repro_in(venvs.laptop, root, "run")
    assert result.code == 0, result
    commit_all(root, "lock")
    return root


def _fresh(result: Result, pipeline: str = "flow") -> bool:
    return result.code == 0 and f"{pipeline}: fresh" in result.out


@pytest.mark.slow
def test_a_lock_is_fresh_in_a_venv_without_an_unrelated_package(
    venvs: Venvs, laptop_project: Path
) -> None:
    result = repro_in(venvs.ci, laptop_project, "run", "--frozen", "flow")
    assert _fresh(result), result


@pytest.mark.slow
def test_a_lock_is_fresh_in_a_clone_in_a_venv_without_an_unrelated_package(
    venvs: Venvs, laptop_project: Path, tmp_path: Path
) -> None:
    """A fresh clone has no .repro/ state: every fingerprint is taken afresh."""
    checkout = clone(laptop_project, tmp_path / "ci" / "project")
    result = repro_in(venvs.ci, checkout, "run", "--frozen", "flow")
    assert _fresh(result), result


@pytest.mark.slow
def test_a_package_a_step_imports_is_part_of_its_environment(
    venvs: Venvs, laptop_project: Path, tmp_path: Path
) -> None:
    checkout = clone(laptop_project, tmp_path / "ci" / "project")
    result = repro_in(venvs.ci, checkout, "run", "--frozen", "sixflow")
    assert result.code == 1
    (line,) = [line for line in result.out.splitlines() if "stale    name:" in line]
    assert f"environment changed (six {version('six')} -> absent)" in line


def test_a_lock_is_fresh_in_a_clone_at_another_path(git_repo: Path, tmp_path: Path) -> None:
    flow = make_flow_project(git_repo)
    assert cli(flow, "run").code == 0
    commit_all(flow, "lock")
    elsewhere = clone(flow, tmp_path / "somewhere" / "else" / "entirely")
    assert _fresh(cli(elsewhere, "run", "--frozen")), elsewhere
    assert str(git_repo) not in (flow / "repro.lock").read_text()


def test_a_lock_is_fresh_for_another_user_on_another_host(git_repo: Path, tmp_path: Path) -> None:
    flow = make_flow_project(git_repo)
    laptop = _identity(tmp_path / "alice-home", "alice-on-laptop", "alices-laptop")
    assert cli(flow, "run", env=laptop).code == 0
    commit_all(flow, "lock")
    checkout = clone(flow, tmp_path / "runner" / "work")
    runner = _identity(tmp_path / "ci-home", "ci-runner", "ci-host-17")
    assert _fresh(cli(checkout, "run", "--frozen", env=runner))
    lock = (flow / "repro.lock").read_text()
    assert not {"alice-home", "alice-on-laptop", "alices-laptop"} & set(_words(lock))


def _identity(home: Path, user: str, host: str) -> dict[str, str]:
    home.mkdir(parents=True)
    return {"HOME": str(home), "USER": user, "LOGNAME": user, "HOSTNAME": host}


def _words(text: str) -> list[str]:
    return [word for line in text.splitlines() for word in line.replace("/", " ").split()]
