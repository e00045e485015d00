from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from gitrepo_testing import commit_files, repo_state, tree_state
from repro_testing import git, write_files

from repro.git import (
    DiffApplyError,
    GitFacts,
    NotInGitError,
    UnknownCommitError,
    read_facts,
    temporary_worktree,
    uncommitted_diff,
)


def _listed(repo: Path) -> list[str]:
    lines = git(repo, "worktree", "list", "--porcelain").splitlines()
    return [line.removeprefix("worktree ") for line in lines if line.startswith("worktree ")]


def _dirty_up(repo: Path) -> None:
    """Staged, unstaged and untracked changes, so any stray write would show."""
    (repo / "text.txt").write_bytes(b"staged\n")
    git(repo, "add", "text.txt")
    (repo / "run.sh").write_bytes(b"#!/bin/sh\necho unstaged\n")
    write_files(repo, {"scratch/notes.txt": b"untracked\n"})


def test_worktree_holds_the_commit(repo: Path, head: str) -> None:
    expected = tree_state(repo)
    commit_files(repo, {"text.txt": b"newer\n"})
    with temporary_worktree(str(repo), head) as tree:
        assert tree_state(tree) == expected


def test_worktree_facts(repo: Path, head: str) -> None:
    with temporary_worktree(str(repo), head) as tree:
        assert read_facts(tree) == GitFacts(tree, head, None, False)


def test_worktree_with_diff_is_dirty(repo: Path, head: str) -> None:
    (repo / "text.txt").write_bytes(b"changed\n")
    diff = uncommitted_diff(str(repo))
    with temporary_worktree(str(repo), head, diff=diff) as tree:
        assert read_facts(tree).dirty


def test_worktree_is_listed_while_open(repo: Path, head: str) -> None:
    with temporary_worktree(str(repo), head) as tree:
        assert tree in _listed(repo)


def test_worktree_is_removed_on_exit(repo: Path, head: str) -> None:
    with temporary_worktree(str(repo), head) as tree:
        pass
    assert not os.path.exists(tree)
    assert _listed(repo) == [str(repo)]


def test_worktree_is_removed_when_the_body_raises(repo: Path, head: str) -> None:
    with pytest.raises(KeyError), temporary_worktree(str(repo), head) as tree:
        raise KeyError("boom")
    assert not os.path.exists(tree)
    assert _listed(repo) == [str(repo)]


def test_worktree_with_outputs_is_removed(repo: Path, head: str) -> None:
    with temporary_worktree(str(repo), head) as tree:
        write_files(Path(tree), {"outputs/model.bin": b"\0", "text.txt": b"edited\n"})
    assert not os.path.exists(tree)


def test_worktree_deleted_by_the_body_is_pruned(repo: Path, head: str) -> None:
    with temporary_worktree(str(repo), head) as tree:
        shutil.rmtree(tree)
    assert _listed(repo) == [str(repo)]


def test_kept_worktree_stays_listed(repo: Path, head: str) -> None:
    with temporary_worktree(str(repo), head, keep=True) as tree:
        pass
    assert os.path.isfile(os.path.join(tree, "text.txt"))
    assert tree in _listed(repo)
    git(repo, "worktree", "remove", "--force", tree)


def test_kept_worktree_stays_when_the_body_raises(repo: Path, head: str) -> None:
    with pytest.raises(KeyError), temporary_worktree(str(repo), head, keep=True) as tree:
        raise KeyError("boom")
    assert tree in _listed(repo)
    git(repo, "worktree", "remove", "--force", tree)


def test_worktree_under_parent(repo: Path, head: str, tmp_path: Path) -> None:
    parent = tmp_path / "replays"
    parent.mkdir()
    with temporary_worktree(str(repo), head, parent=str(parent)) as tree:
        assert os.path.dirname(tree) == str(parent)


def test_worktree_leaves_the_main_repository_alone(repo: Path, head: str) -> None:
    _dirty_up(repo)
    diff = uncommitted_diff(str(repo))
    before = repo_state(repo)
    files = tree_state(repo)
    with temporary_worktree(str(repo), head, diff=diff) as tree:
        write_files(Path(tree), {"text.txt": b"replay output\n"})
    assert (repo_state(repo), tree_state(repo)) == (before, files)


def test_worktree_from_an_abbreviated_commit(repo: Path, head: str) -> None:
    with temporary_worktree(str(repo), head[:8]) as tree:
        assert read_facts(tree).commit == head


def test_worktree_of_an_unknown_commit(repo: Path) -> None:
    with (
        pytest.raises(UnknownCommitError, match="run 'git fetch'"),
        temporary_worktree(str(repo), "0123456789abcdef0123456789abcdef01234567"),
    ):
        pass


def test_unknown_commit_is_a_lookup_error(repo: Path) -> None:
    with pytest.raises(LookupError), temporary_worktree(str(repo), "no-such-branch"):
        pass


def test_unknown_commit_carries_its_fields(repo: Path) -> None:
    with pytest.raises(UnknownCommitError) as caught, temporary_worktree(str(repo), "deadbeef"):
        pass
    assert (caught.value.commit, caught.value.root) == ("deadbeef", str(repo))


def test_option_is_an_unknown_commit(repo: Path) -> None:
    with pytest.raises(UnknownCommitError), temporary_worktree(str(repo), "--orphan"):
        pass


def test_unknown_commit_makes_no_folder(repo: Path, head: str, tmp_path: Path) -> None:
    parent = tmp_path / "replays"
    parent.mkdir()
    with (
        pytest.raises(UnknownCommitError),
        temporary_worktree(str(repo), "bogus", parent=str(parent)),
    ):
        pass
    assert os.listdir(parent) == []


def test_worktree_in_an_empty_repository(git_repo: Path) -> None:
    with (
        pytest.raises(UnknownCommitError, match="git fetch"),
        temporary_worktree(str(git_repo), "HEAD"),
    ):
        pass


def test_worktree_outside_git(tmp_path: Path) -> None:
    with (
        pytest.raises(NotInGitError, match="run 'git init'"),
        temporary_worktree(str(tmp_path), "HEAD"),
    ):
        pass


def test_diff_that_does_not_apply_to_the_commit(repo: Path, head: str) -> None:
    (repo / "text.txt").write_bytes(b"changed\n")
    commit_files(repo, {})
    (repo / "text.txt").write_bytes(b"changed again\n")
    diff = uncommitted_diff(str(repo))
    with (
        pytest.raises(DiffApplyError, match=rf"to commit {head[:12]} \(error: patch failed"),
        temporary_worktree(str(repo), head, diff=diff),
    ):
        pass


def test_failed_diff_removes_the_worktree(repo: Path, head: str, tmp_path: Path) -> None:
    parent = tmp_path / "replays"
    parent.mkdir()
    with (
        pytest.raises(DiffApplyError),
        temporary_worktree(str(repo), head, diff=b"not a patch\n", parent=str(parent)),
    ):
        pass
    assert (os.listdir(parent), _listed(repo)) == ([], [str(repo)])


def test_failed_diff_removes_even_a_kept_worktree(repo: Path, head: str) -> None:
    with (
        pytest.raises(DiffApplyError),
        temporary_worktree(str(repo), head, diff=b"not a patch\n", keep=True),
    ):
        pass
    assert _listed(repo) == [str(repo)]
