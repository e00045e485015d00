"""``repro install-hooks``: the hooks land where Git runs them
(``core.hooksPath`` respected), an existing hook is chained (it runs
first, and its failure stops Git), installing twice changes nothing, and
``--uninstall`` puts everything back."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_testing import one_line_error
from githooks_testing import git_try, install
from pipeline_testing import cli, commit_all, make_flow_project
from repro_testing import git

from repro.githooks.install import ChainOccupiedError, install_hooks
from repro.githooks.scripts import HOOK_NAMES, hook_script
from repro.project import Project

FOREIGN = '#!/bin/sh\necho "$@" >> {log}\nexit {code}\n'


def _state(root: Path, folder: Path) -> dict[str, object]:
    files = {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode) for p in folder.iterdir()
    }
    attributes = (root / ".gitattributes").read_bytes()
    return {"hooks": files, "attributes": attributes, "config": (root / ".git/config").read_bytes()}


def _foreign(folder: Path, name: str, log: Path, code: int = 0) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    text = FOREIGN.format(log=log, code=code)
    (folder / name).write_text(text)
    (folder / name).chmod(0o755)
    return text


def test_hooks_go_where_core_hooks_path_points(project: Project) -> None:
    root = Path(project.root)
    git(root, "config", "core.hooksPath", "shared-hooks")
    report = install_hooks(project)
    assert Path(report.hooks_dir) == root / "shared-hooks"
    for name in HOOK_NAMES:
        assert (root / "shared-hooks" / name).read_text() == hook_script(name)
        assert not (root / ".git/hooks" / name).exists()


def test_the_merge_driver_is_registered(project: Project) -> None:
    root = Path(project.root)
    (root / ".gitattributes").write_text("*.png binary")  # no newline at the end
    install_hooks(project)
    assert (root / ".gitattributes").read_text() == "*.png binary\nrepro.lock merge=repro-lock\n"
    assert git(root, "config", "merge.repro-lock.driver").strip() == "repro lock merge %O %A %B"
    assert git(root, "check-attr", "merge", "repro.lock").strip() == "repro.lock: merge: repro-lock"


def test_the_cli_says_to_commit_the_attributes(git_repo: Path) -> None:
    make_flow_project(git_repo)
    out = install(git_repo)
    assert "added 'repro.lock merge=repro-lock'" in out and "commit it" in out
    assert f"installed {git_repo / '.git/hooks/pre-push'}" in out


def test_installing_twice_changes_nothing(git_repo: Path) -> None:
    make_flow_project(git_repo)
    install(git_repo)
    before = _state(git_repo, git_repo / ".git/hooks")
    assert "already installed" in install(git_repo)
    assert _state(git_repo, git_repo / ".git/hooks") == before


def test_an_existing_hook_is_kept_and_run_first(git_repo: Path, tmp_path: Path) -> None:
    make_flow_project(git_repo)
    log = tmp_path / "log"
    _foreign(git_repo / ".git/hooks", "post-checkout", log)
    assert "kept the existing post-checkout hook" in install(git_repo)
    git(git_repo, "checkout", "-q", "-b", "other")
    assert log.read_text().split()[2] == "1"  # the chained hook got Git's arguments
    assert (git_repo / ".git/hooks/post-checkout.pre-repro").exists()


def test_the_failure_of_a_chained_hook_stops_git(git_repo: Path, tmp_path: Path) -> None:
    make_flow_project(git_repo)
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(git_repo, "remote", "add", "origin", str(bare))
    log = tmp_path / "log"
    _foreign(git_repo / ".git/hooks", "pre-push", log, code=3)
    install(git_repo)
    pushed = git_try(git_repo, "push", "origin", "main")
    assert pushed.returncode != 0 and "failed to push" in pushed.stderr
    assert log.read_text().split() == ["origin", str(bare)]
    assert git_try(bare, "rev-parse", "--verify", "main").returncode != 0


def test_uninstall_puts_back_what_was_there(git_repo: Path, tmp_path: Path) -> None:
    make_flow_project(git_repo)
    hooks = git_repo / ".git/hooks"
    text = _foreign(hooks, "pre-push", tmp_path / "log")
    (git_repo / ".gitattributes").write_text("*.png binary\n")
    commit_all(git_repo, "attributes")
    config = (git_repo / ".git/config").read_text()
    install(git_repo)
    result = cli(git_repo, "install-hooks", "--uninstall")
    assert result.code == 0, result
    assert (hooks / "pre-push").read_text() == text
    assert not (hooks / "pre-push.pre-repro").exists()
    assert not (hooks / "post-merge").exists() and not (hooks / "post-checkout").exists()
    assert (git_repo / ".gitattributes").read_text() == "*.png binary\n"
    assert (git_repo / ".git/config").read_text() == config


def test_a_hook_over_a_chained_one_is_not_overwritten(project: Project) -> None:
    hooks = Path(project.root) / ".git/hooks"
    log = Path(project.root) / "log"
    _foreign(hooks, "post-merge", log)
    install_hooks(project)
    replacement = _foreign(hooks, "post-merge", log, code=1)  # another tool replaced ours
    with pytest.raises(ChainOccupiedError, match=r"post-merge.pre-repro already exists"):
        install_hooks(project)
    assert (hooks / "post-merge").read_text() == replacement


def test_install_outside_a_project_says_to_init(git_repo: Path) -> None:
    error = one_line_error(cli(git_repo, "install-hooks"))
    assert "not inside a repro project" in error and "repro init" in error


def test_a_project_below_the_top_is_found_by_the_hooks(git_repo: Path) -> None:
    from repro.githooks.hooks import run_hook
    from repro.project import init_project

    project = init_project(str(git_repo / "ml")).project
    install_hooks(project)
    assert git(git_repo, "config", "repro.project").strip() == "ml"
    assert (git_repo / "ml/.gitattributes").read_text() == "repro.lock merge=repro-lock\n"
    assert run_hook("post-merge", ["0"], "", str(git_repo), {}).notes == []  # no lock yet
