from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo_testing import commit_files, index_bytes
from repro_testing import git

from repro.git import (
    IGNORED_FOR_DIRTY,
    GitFacts,
    NoCommitsError,
    NotInGitError,
    commit_exists,
    read_facts,
)


def test_clean_tree_facts(repo: Path, head: str) -> None:
    assert read_facts(str(repo)) == GitFacts(str(repo), head, "main", False)


def test_commit_is_full_hex(repo: Path) -> None:
    commit = read_facts(str(repo)).commit
    assert len(commit) == 40
    assert int(commit, 16) >= 0


def test_facts_from_a_subfolder_name_the_root(repo: Path) -> None:
    assert read_facts(str(repo / "sub" / "deep")).root == str(repo)


def test_facts_from_a_file_name_the_root(repo: Path) -> None:
    assert read_facts(str(repo / "text.txt")).root == str(repo)


def test_branch_with_slashes(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "feature/x")
    assert read_facts(str(repo)).branch == "feature/x"


def test_detached_head_has_no_branch(repo: Path, head: str) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD")
    facts = read_facts(str(repo))
    assert (facts.branch, facts.commit) == (None, head)


def test_unstaged_change_is_dirty(repo: Path) -> None:
    (repo / "text.txt").write_bytes(b"changed\n")
    assert read_facts(str(repo)).dirty


def test_staged_change_is_dirty(repo: Path) -> None:
    (repo / "text.txt").write_bytes(b"changed\n")
    git(repo, "add", "text.txt")
    assert read_facts(str(repo)).dirty


def test_untracked_file_in_new_folder_is_dirty(repo: Path) -> None:
    (repo / "new" / "deeper").mkdir(parents=True)
    (repo / "new" / "deeper" / "file.txt").write_bytes(b"x")
    assert read_facts(str(repo)).dirty


def test_deleted_file_is_dirty(repo: Path) -> None:
    (repo / "data.bin").unlink()
    assert read_facts(str(repo)).dirty


def test_executable_bit_change_is_dirty(repo: Path) -> None:
    (repo / "text.txt").chmod(0o755)
    assert read_facts(str(repo)).dirty


def test_ignored_files_are_not_dirty(repo: Path) -> None:
    (repo / "debug.log").write_bytes(b"log")
    (repo / "build" / "out").mkdir(parents=True)
    (repo / "build" / "out" / "model.bin").write_bytes(b"\0\1")
    assert not read_facts(str(repo)).dirty


def test_modified_lock_is_not_dirty(repo: Path) -> None:
    (repo / "repro.lock").write_bytes(b"lock: 2\n")
    assert not read_facts(str(repo)).dirty


def test_staged_lock_is_not_dirty(repo: Path) -> None:
    (repo / "repro.lock").write_bytes(b"lock: 2\n")
    git(repo, "add", "repro.lock")
    assert not read_facts(str(repo)).dirty


def test_deleted_lock_is_not_dirty(repo: Path) -> None:
    (repo / "repro.lock").unlink()
    assert not read_facts(str(repo)).dirty


def test_untracked_nested_lock_is_not_dirty(repo: Path) -> None:
    (repo / "pipelines" / "train").mkdir(parents=True)
    (repo / "pipelines" / "train" / "repro.lock").write_bytes(b"lock\n")
    assert not read_facts(str(repo)).dirty


def test_only_the_exact_lock_name_is_ignored(repo: Path) -> None:
    (repo / "repro.lock.bak").write_bytes(b"lock\n")
    assert read_facts(str(repo)).dirty


def test_lock_is_the_ignored_name() -> None:
    assert IGNORED_FOR_DIRTY == ("repro.lock",)


def test_reading_facts_does_not_rewrite_the_index(repo: Path) -> None:
    # A touched file makes a plain `git status` refresh and rewrite the index.
    stamp = os.stat(repo / "text.txt").st_mtime + 5
    os.utime(repo / "text.txt", (stamp, stamp))
    before = index_bytes(repo)
    read_facts(str(repo))
    assert index_bytes(repo) == before


def test_facts_in_an_empty_repository(git_repo: Path) -> None:
    with pytest.raises(NoCommitsError, match="commit something first"):
        read_facts(str(git_repo))


def test_facts_outside_git(tmp_path: Path) -> None:
    with pytest.raises(NotInGitError, match="is not inside a Git repository; run 'git init'"):
        read_facts(str(tmp_path))


def test_facts_of_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(NotInGitError, match="no such file or directory"):
        read_facts(str(tmp_path / "missing"))


def test_facts_of_a_bare_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    with pytest.raises(NotInGitError, match="bare repository"):
        read_facts(str(tmp_path / "bare.git"))


def test_not_in_git_carries_the_path(tmp_path: Path) -> None:
    with pytest.raises(NotInGitError) as caught:
        read_facts(str(tmp_path))
    assert caught.value.path == str(tmp_path)


def test_commit_exists_for_head(repo: Path, head: str) -> None:
    assert commit_exists(str(repo), head)


def test_commit_exists_for_an_abbreviation(repo: Path, head: str) -> None:
    assert commit_exists(str(repo), head[:10])


def test_commit_exists_for_older_commit(repo: Path, head: str) -> None:
    commit_files(repo, {"later.txt": b"later\n"})
    assert commit_exists(str(repo), head)


def test_bogus_commit_does_not_exist(repo: Path) -> None:
    assert not commit_exists(str(repo), "0123456789abcdef0123456789abcdef01234567")


def test_blob_is_not_a_commit(repo: Path) -> None:
    blob = git(repo, "rev-parse", "HEAD:text.txt").strip()
    assert not commit_exists(str(repo), blob)


def test_option_is_not_a_commit(repo: Path) -> None:
    assert not commit_exists(str(repo), "--all")


def test_no_commit_exists_in_empty_repository(git_repo: Path) -> None:
    assert not commit_exists(str(git_repo), "HEAD")


def test_commit_exists_outside_git(tmp_path: Path) -> None:
    with pytest.raises(NotInGitError, match="run 'git init'"):
        commit_exists(str(tmp_path), "HEAD")


def test_import_does_not_load_gitpython() -> None:
    code = (
        "import sys, repro.git\n"
        "repro.git.read_facts, repro.git.temporary_worktree, repro.git.uncommitted_diff\n"
        "assert 'git' not in sys.modules, 'GitPython imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
