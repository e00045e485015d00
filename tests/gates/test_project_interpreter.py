from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gates_testing import bare_venv, gatedep_project, set_gatedep

from repro.gates import interpreter as interpreter_module
from repro.gates import lineage as lineage_module
from repro.gates.interpreter import (
    CHILD_ENV,
    Interpreter,
    child_environ,
    hook_environment,
    project_python,
)
from repro.gates.lineage import check_lineage
from repro.project import Project, init_project


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def hook_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """As in a hook of pre-commit: its environment is VIRTUAL_ENV and first on PATH."""
    env = tmp_path / "hook-repo" / "py_env-python3"
    _executable(env / "bin" / "python3")
    for module in (interpreter_module, lineage_module):
        monkeypatch.setattr(module, "hook_environment", lambda: str(env))
    monkeypatch.setenv("VIRTUAL_ENV", str(env))
    monkeypatch.setenv("PATH", str(env / "bin"))
    return env


@pytest.fixture
def gated(git_repo: Path) -> Project:
    """A project whose step imports gatedep (1.0 in its .venv, absent here)."""
    return Project(str(gatedep_project(git_repo)))


def test_the_projects_venv_comes_first(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    venv = _executable(Path(project.root, ".venv/bin/python"))
    assert project_python(project) == Interpreter(str(venv), ".venv")


def test_a_venv_at_the_git_root_serves_a_project_below_it(git_repo: Path) -> None:
    project = init_project(str(git_repo / "sub")).project
    venv = _executable(git_repo / ".venv/bin/python")
    assert project_python(project) == Interpreter(str(venv), ".venv")


def test_an_active_virtual_environment_comes_next(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    assert project_python(project) == Interpreter(f"{sys.prefix}/bin/python", "$VIRTUAL_ENV")


def test_the_hooks_own_environment_is_passed_over(
    project: Project, hook_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = _executable(tmp_path / "elsewhere/bin/python3")
    monkeypatch.setenv("PATH", f"{hook_env / 'bin'}:{other.parent}")
    assert project_python(project) == Interpreter(str(other), "python3 on PATH")


def test_a_given_interpreter_wins(project: Project) -> None:
    assert project_python(project, "/opt/py") == Interpreter("/opt/py", "--python")


def test_a_hook_environment_is_a_py_env_pre_commit_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / "py_env-python3.11"
    monkeypatch.setattr(sys, "prefix", str(env))
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    assert hook_environment() is None
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert hook_environment() == str(env)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / ".venv"))
    assert hook_environment() is None


def test_this_interpreter_is_the_one_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CHILD_ENV, raising=False)
    assert Interpreter(sys.executable, "").is_running
    other = Interpreter(str(_executable(tmp_path / "venv/bin/python")), "")
    assert not other.is_running
    monkeypatch.setenv(CHILD_ENV, "1")
    assert other.is_running


def test_the_child_judge_runs_in_its_own_environment(hook_env: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "pyvenv.cfg").parent.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    environ = child_environ(Interpreter(str(venv / "bin/python"), ".venv"))
    assert environ[CHILD_ENV] == "1"
    assert environ["VIRTUAL_ENV"] == str(venv)
    assert str(hook_env) not in environ["PATH"]
    assert "VIRTUAL_ENV" not in child_environ(Interpreter("/usr/bin/python3", "python3 on PATH"))


def test_the_projects_interpreter_judges(gated: Project) -> None:
    result = check_lineage(gated, cwd=gated.root)
    assert result.passed, result
    assert result.notes == (f"judged by {gated.root}/.venv/bin/python (.venv)",)


def test_the_verdict_follows_the_projects_environment(gated: Project) -> None:
    set_gatedep(Path(gated.root, ".venv"), "2.0")
    [finding] = check_lineage(gated, cwd=gated.root).findings
    assert finding.problem == (
        "pipeline 'pinned' is stale (step 'value': environment changed (gatedep 1.0 -> 2.0))"
    )


def test_another_interpreter_judges_by_its_own_environment(gated: Project) -> None:
    """This one lacks gatedep: it cannot even import the pipeline."""
    [finding] = check_lineage(gated, cwd=gated.root, python=sys.executable).findings
    assert "cannot be judged: importing pinned_flow.py failed: ModuleNotFoundError" in (
        finding.problem
    )


def test_an_interpreter_without_repro_says_install_it(flow: Path, tmp_path: Path) -> None:
    python = bare_venv(tmp_path / "bare")
    [finding] = check_lineage(Project(str(flow)), cwd=str(flow), python=str(python)).findings
    assert finding.line == (
        f".: the project's interpreter {python} (--python) could not judge its lineage "
        f"({python}: No module named repro): install repro there (`{python} -m pip install "
        "repro-gitops`), name another with `--python PATH`, or use repro-lineage-system"
    )


def test_a_missing_interpreter_says_so(flow: Path, tmp_path: Path) -> None:
    python = str(tmp_path / "nowhere/python")
    [finding] = check_lineage(Project(str(flow)), cwd=str(flow), python=python).findings
    assert f"could not judge its lineage ([Errno 2] No such file or directory: '{python}')" in (
        finding.line
    )


def test_a_hook_finding_no_interpreter_says_where_it_looked(
    flow: Path, hook_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [finding] = check_lineage(Project(str(flow)), cwd=str(flow)).findings
    assert finding.line == (
        ".: no Python interpreter of the project found (.venv/bin/python, $VIRTUAL_ENV, "
        "python3 on PATH) to judge its lineage with: make .venv, give `args: [--python, PATH]` "
        "to the hook, or use repro-lineage-system"
    )
