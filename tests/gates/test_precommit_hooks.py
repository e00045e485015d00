"""The hooks of .pre-commit-hooks.yaml run by the real pre-commit, from a
snapshot of this working tree as the hook repository, in temporary Git
repositories holding repro projects. The `language: python` hooks run in
an environment pre-commit builds once per session (pip installs repro and
its dependencies from PyPI: a minute the first time)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gates_testing import (
    HookRepo,
    gatedep_project,
    make_venv,
    pre_commit,
    pre_commit_config,
    set_gatedep,
)
from pipeline_testing import commit_all, edit
from repro_testing import git

pytestmark = pytest.mark.slow

STALE = (
    "repro.lock: pipeline 'flow' is stale (step 'transform': code changed (helpers.py)): "
    "run `repro run flow && git add repro.lock`"
)


@pytest.fixture
def hooked(flow: Path) -> Path:
    """The flow project with an interpreter of its own (.venv) for the hooks."""
    make_venv(flow / ".venv", gatedep=None)
    (flow / ".gitignore").write_text("/.venv/\n")
    commit_all(flow, "ignore .venv")
    return flow


def _configure(root: Path, repo: HookRepo, *hooks: str) -> None:
    pre_commit_config(root, repo.path, repo.rev, *hooks)
    git(root, "add", ".pre-commit-config.yaml")


def _run(
    root: Path, repo: HookRepo, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    done = pre_commit(root, "run", *args, home=repo.home, env=env)
    return done.code, done.out + done.err


def test_try_repo_blocks_a_stale_lock(hooked: Path, hook_repo: HookRepo) -> None:
    edit(hooked / "helpers.py", "value * factor", "value * factor + 0")
    git(hooked, "add", "helpers.py")
    done = pre_commit(hooked, "try-repo", str(hook_repo.path), "repro-lineage", home=hook_repo.home)
    assert done.code == 1, done
    assert STALE in done.out


def test_the_lineage_hook_passes_a_fresh_lock(hooked: Path, hook_repo: HookRepo) -> None:
    _configure(hooked, hook_repo, "repro-lineage")
    (hooked / "NOTES.md").write_text("notes\n")
    git(hooked, "add", "NOTES.md")
    code, out = _run(hooked, hook_repo)
    assert code == 0, out


def test_the_lineage_hook_blocks_a_stale_lock(hooked: Path, hook_repo: HookRepo) -> None:
    _configure(hooked, hook_repo, "repro-lineage")
    edit(hooked / "helpers.py", "value * factor", "value * factor + 0")
    git(hooked, "add", "helpers.py")
    code, out = _run(hooked, hook_repo)
    assert code == 1 and STALE in out, out


def test_the_lineage_hook_judges_what_is_staged(hooked: Path, hook_repo: HookRepo) -> None:
    """A change left unstaged is not in the commit: pre-commit sets it aside."""
    _configure(hooked, hook_repo, "repro-lineage")
    (hooked / "NOTES.md").write_text("notes\n")
    git(hooked, "add", "NOTES.md")
    edit(hooked / "helpers.py", "value * factor", "value * factor + 0")
    code, out = _run(hooked, hook_repo)
    assert code == 0, out


def test_the_verdict_follows_the_projects_environment(git_repo: Path, hook_repo: HookRepo) -> None:
    """The hook's environment lacks gatedep; the project's .venv has it."""
    root = gatedep_project(git_repo)
    _configure(root, hook_repo, "repro-lineage")
    code, out = _run(root, hook_repo, "--all-files")
    assert code == 0, out
    set_gatedep(root / ".venv", "2.0")
    code, out = _run(root, hook_repo, "--all-files")
    assert code == 1, out
    assert "environment changed (gatedep 1.0 -> 2.0)" in out


def test_without_a_venv_the_python3_on_path_judges(
    git_repo: Path, tmp_path: Path, hook_repo: HookRepo
) -> None:
    """Not the hook's own environment, though pre-commit makes it VIRTUAL_ENV
    and puts it first on PATH."""
    venv = tmp_path / "project-env"
    root = gatedep_project(git_repo, venv)
    _configure(root, hook_repo, "repro-lineage")
    path = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin"}
    code, out = _run(root, hook_repo, "--all-files", "--verbose", env=path)
    assert code == 0, out
    assert f"judged by {venv / 'bin' / 'python3'} (python3 on PATH)" in out


def test_the_large_data_hook_blocks_a_big_csv(hooked: Path, hook_repo: HookRepo) -> None:
    _configure(hooked, hook_repo, "repro-large-data")
    (hooked / "data/big.csv").write_bytes(b"a,b\n" * (1 << 19))
    git(hooked, "add", "data/big.csv")
    code, out = _run(hooked, hook_repo)
    assert code == 1, out
    assert (
        "data/big.csv: a data file of 2.0 MiB is staged (the limit is 1.0 MiB): run `git rm -q "
        "--cached -- data/big.csv && echo /big.csv >> data/.gitignore && repro snapshot "
        "data/big.csv`" in out
    )


def test_the_pinned_hook_blocks_an_unpinned_image(hooked: Path, hook_repo: HookRepo) -> None:
    _configure(hooked, hook_repo, "repro-pinned")
    (hooked / "uv.lock").write_text("version = 1\n")
    (hooked / "pyproject.toml").write_text(
        '[tool.repro]\nimage = "python:3.11"\n\n[tool.repro.pipelines]\nflow = "flow.py:flow"\n'
    )
    git(hooked, "add", "uv.lock", "pyproject.toml")
    code, out = _run(hooked, hook_repo)
    assert code == 1, out
    assert "pyproject.toml: [tool.repro] image 'python:3.11' is not pinned by digest" in out


def test_the_lock_hook_blocks_a_broken_lock(hooked: Path, hook_repo: HookRepo) -> None:
    _configure(hooked, hook_repo, "repro-lock-valid")
    (hooked / "repro.lock").write_text("schema: repro.lock/v1\npipelines: [\n")
    git(hooked, "add", "repro.lock")
    code, out = _run(hooked, hook_repo)
    assert code == 1, out
    assert "repro.lock:3: not valid YAML" in out


def test_the_system_variant_runs_the_repro_on_path(hooked: Path, hook_repo: HookRepo) -> None:
    _configure(hooked, hook_repo, "repro-lineage-system")
    edit(hooked / "helpers.py", "value * factor", "value * factor + 0")
    git(hooked, "add", "helpers.py")
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    code, out = _run(hooked, hook_repo, env={"PATH": path})
    assert code == 1 and STALE in out, out


def test_outside_a_repro_project_every_hook_passes(git_repo: Path, hook_repo: HookRepo) -> None:
    hooks = ("repro-lineage", "repro-lock-valid", "repro-large-data", "repro-pinned")
    _configure(git_repo, hook_repo, *hooks)
    (git_repo / "big.csv").write_bytes(b"a,b\n" * (1 << 19))
    git(git_repo, "add", "big.csv")
    code, out = _run(git_repo, hook_repo, "--all-files")
    assert code == 0, out
