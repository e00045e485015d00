from __future__ import annotations

import fcntl
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gates_testing import HookRepo, hooks_repository, run_flow
from repro_testing import git

from repro.usercode import forget_project_modules


@pytest.fixture(autouse=True)
def _forget_projects(tmp_path: Path) -> Iterator[None]:
    """Gates judged in this process import each test's project; the next
    test's project has modules of the same names."""
    yield
    forget_project_modules(str(tmp_path.parent), unlist=True)


@pytest.fixture(scope="session")
def flow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("flow-template") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return run_flow(root)


@pytest.fixture
def flow(tmp_path: Path, flow_template: Path) -> Path:
    """The flow project, run once, its lock committed (a copy: running it
    takes seconds)."""
    root = tmp_path / "repo"
    shutil.copytree(flow_template, root, symlinks=True)
    return root


@pytest.fixture
def this_python(monkeypatch: pytest.MonkeyPatch) -> str:
    """This interpreter as the active virtual environment: the project's
    interpreter for the gates (and for ``repro`` run from the tests)."""
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    return sys.executable


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    """repro's working tree as a pre-commit hook repository, with one
    PRE_COMMIT_HOME for the whole session (xdist's processes share both,
    under a file lock), so that pre-commit builds its environment once."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "gates-hook-repo"
    with open(shared / "gates-hook-repo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "rev").exists():
            (folder / "repo").mkdir(parents=True, exist_ok=True)
            _, rev = hooks_repository(folder / "repo")
            (folder / "rev").write_text(rev)
    return HookRepo(folder / "repo", (folder / "rev").read_text(), folder / "home")
