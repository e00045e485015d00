from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from gitrepo_testing import index_bytes, repo_state, tree_state
from repro_testing import git, write_files

from repro.git import (
    DiffApplyError,
    NoCommitsError,
    NotInGitError,
    apply_diff,
    temporary_worktree,
    uncommitted_diff,
)

Change = Callable[[Path], None]


def _binary_modified(repo: Path) -> None:
    (repo / "data.bin").write_bytes(bytes(reversed(range(256))) * 8 + b"\0\xff")


def _binary_new(repo: Path) -> None:
    (repo / "weights.bin").write_bytes(os.urandom(3000))


def _newline_removed(repo: Path) -> None:
    (repo / "text.txt").write_bytes(b"one\ntwo\nthree")


def _newline_added(repo: Path) -> None:
    (repo / "no-newline.txt").write_bytes(b"no newline at the end\n")


def _new_file_without_newline(repo: Path) -> None:
    (repo / "fresh.txt").write_bytes(b"last line")


def _deleted(repo: Path) -> None:
    (repo / "text.txt").unlink()
    (repo / "sub" / "deep" / "file.txt").unlink()


def _renamed_by_git(repo: Path) -> None:
    (repo / "moved").mkdir()
    git(repo, "mv", "old-name.txt", "moved/new-name.txt")


def _renamed_unstaged(repo: Path) -> None:
    os.rename(repo / "old-name.txt", repo / "new-name.txt")


def _renamed_and_edited(repo: Path) -> None:
    os.rename(repo / "old-name.txt", repo / "new-name.txt")
    with (repo / "new-name.txt").open("ab") as stream:
        stream.write(b"one more line\n")


def _made_executable(repo: Path) -> None:
    (repo / "text.txt").chmod(0o755)


def _made_not_executable(repo: Path) -> None:
    (repo / "run.sh").chmod(0o644)


def _new_executable(repo: Path) -> None:
    (repo / "tools").mkdir()
    (repo / "tools" / "go.sh").write_bytes(b"#!/bin/sh\n")
    (repo / "tools" / "go.sh").chmod(0o755)


def _untracked_in_new_folders(repo: Path) -> None:
    write_files(repo, {"a/b/c/new.txt": b"new\n", "a/other.bin": b"\0\1\2", "a/b/empty": b""})


def _staged_then_edited(repo: Path) -> None:
    (repo / "text.txt").write_bytes(b"staged\n")
    git(repo, "add", "text.txt")
    (repo / "text.txt").write_bytes(b"staged\nthen edited\n")


def _staged_new_then_deleted(repo: Path) -> None:
    (repo / "gone.txt").write_bytes(b"gone\n")
    git(repo, "add", "gone.txt")
    (repo / "gone.txt").unlink()


def _symlink_added(repo: Path) -> None:
    (repo / "link").symlink_to("sub/deep/file.txt")


def _file_becomes_folder(repo: Path) -> None:
    (repo / "text.txt").unlink()
    write_files(repo, {"text.txt/inside.txt": b"inside\n"})


def _odd_names(repo: Path) -> None:
    write_files(repo, {"with space.txt": b"x\n", "caf\u00e9/\u00fcml\u00e4ut.txt": b"y\n"})


def _whitespace_and_crlf(repo: Path) -> None:
    git(repo, "config", "apply.whitespace", "error")  # must not reject a faithful patch
    (repo / "text.txt").write_bytes(b"trailing   \r\nspace\t\n\n\n")


def _many_changes(repo: Path) -> None:
    for change in (_binary_modified, _deleted, _renamed_unstaged, _made_not_executable):
        change(repo)
    _untracked_in_new_folders(repo)


CHANGES = [
    pytest.param(change, id=change.__name__.strip("_"))
    for change in (
        _binary_modified,
        _binary_new,
        _newline_removed,
        _newline_added,
        _new_file_without_newline,
        _deleted,
        _renamed_by_git,
        _renamed_unstaged,
        _renamed_and_edited,
        _made_executable,
        _made_not_executable,
        _new_executable,
        _untracked_in_new_folders,
        _staged_then_edited,
        _staged_new_then_deleted,
        _symlink_added,
        _file_becomes_folder,
        _odd_names,
        _whitespace_and_crlf,
        _many_changes,
    )
]


@pytest.mark.parametrize("change", CHANGES)
def test_diff_replays_the_work_tree_exactly(repo: Path, head: str, change: Change) -> None:
    change(repo)
    diff = uncommitted_diff(str(repo))
    with temporary_worktree(str(repo), head, diff=diff, parent=str(repo.parent)) as tree:
        assert tree_state(tree) == tree_state(repo)


@pytest.mark.parametrize("change", CHANGES)
def test_diff_leaves_the_index_alone(repo: Path, change: Change) -> None:
    change(repo)
    before = repo_state(repo)
    uncommitted_diff(str(repo))
    assert repo_state(repo) == before


def test_clean_tree_has_empty_diff(repo: Path) -> None:
    assert uncommitted_diff(str(repo)) == b""


def test_diff_is_full_index_binary_patch(repo: Path) -> None:
    _binary_modified(repo)
    diff = uncommitted_diff(str(repo))
    assert b"GIT binary patch" in diff
    assert git(repo, "rev-parse", "HEAD:data.bin").strip().encode() in diff


def test_diff_ends_with_its_last_newline(repo: Path) -> None:
    (repo / "text.txt").write_bytes(b"changed\n")
    assert uncommitted_diff(str(repo)).endswith(b"+changed\n")


def test_diff_from_a_subfolder_covers_the_whole_tree(repo: Path) -> None:
    (repo / "text.txt").write_bytes(b"changed\n")
    assert b"b/text.txt" in uncommitted_diff(str(repo / "sub"))


def test_diff_ignores_user_diff_settings(repo: Path) -> None:
    for key, value in [
        ("diff.noprefix", "true"),
        ("color.ui", "always"),
        ("diff.renames", "copies"),
    ]:
        git(repo, "config", key, value)
    _renamed_unstaged(repo)
    diff = uncommitted_diff(str(repo))
    assert b"diff --git a/new-name.txt b/new-name.txt" in diff
    assert b"\x1b[" not in diff


def test_modified_lock_is_not_in_diff(repo: Path) -> None:
    (repo / "repro.lock").write_bytes(b"lock: 2\n")
    assert uncommitted_diff(str(repo)) == b""


def test_untracked_nested_lock_is_not_in_diff(repo: Path) -> None:
    write_files(repo, {"pipelines/repro.lock": b"lock\n"})
    assert uncommitted_diff(str(repo)) == b""


def test_deleted_lock_is_not_in_diff(repo: Path) -> None:
    (repo / "repro.lock").unlink()
    assert uncommitted_diff(str(repo)) == b""


def test_lock_is_left_out_beside_other_changes(repo: Path) -> None:
    (repo / "repro.lock").write_bytes(b"lock: 2\n")
    (repo / "text.txt").write_bytes(b"changed\n")
    diff = uncommitted_diff(str(repo))
    assert b"text.txt" in diff
    assert b"repro.lock" not in diff


def test_ignored_files_are_not_in_diff(repo: Path) -> None:
    write_files(repo, {"debug.log": b"log", "build/model.bin": b"\0"})
    assert uncommitted_diff(str(repo)) == b""


def test_diff_reuses_a_split_index(repo: Path) -> None:
    git(repo, "update-index", "--split-index")
    (repo / "text.txt").write_bytes(b"changed\n")
    assert b"+changed\n" in uncommitted_diff(str(repo))


def test_diff_despite_a_conflicted_index(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "other")
    (repo / "text.txt").write_bytes(b"other\n")
    git(repo, "commit", "-q", "-am", "other")
    git(repo, "switch", "-q", "main")
    (repo / "text.txt").write_bytes(b"main\n")
    git(repo, "commit", "-q", "-am", "main")
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "merge", "-q", "other")
    assert b"text.txt" in uncommitted_diff(str(repo))


def test_diff_in_an_empty_repository(git_repo: Path) -> None:
    (git_repo / "a.txt").write_bytes(b"a\n")
    with pytest.raises(NoCommitsError, match="commit something first"):
        uncommitted_diff(str(git_repo))


def test_diff_outside_git(tmp_path: Path) -> None:
    with pytest.raises(NotInGitError, match="run 'git init'"):
        uncommitted_diff(str(tmp_path))


def test_apply_diff_to_a_checkout(repo: Path, tmp_path: Path) -> None:
    _many_changes(repo)
    diff = uncommitted_diff(str(repo))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    apply_diff(str(clone), diff)
    assert tree_state(clone) == tree_state(repo)


def test_apply_empty_diff_changes_nothing(repo: Path) -> None:
    before = tree_state(repo)
    apply_diff(str(repo), b"")
    assert tree_state(repo) == before


def test_diff_that_does_not_apply(repo: Path) -> None:
    (repo / "text.txt").write_bytes(b"changed\n")
    diff = uncommitted_diff(str(repo))
    (repo / "text.txt").write_bytes(b"something else entirely\n")
    with pytest.raises(DiffApplyError, match=r"does not apply .*error: patch failed: text.txt"):
        apply_diff(str(repo), diff)


def test_failed_apply_changes_nothing(repo: Path) -> None:
    write_files(repo, {"brand-new.txt": b"new\n"})
    (repo / "text.txt").write_bytes(b"changed\n")
    diff = uncommitted_diff(str(repo))
    (repo / "brand-new.txt").unlink()
    (repo / "text.txt").write_bytes(b"something else entirely\n")
    before = tree_state(repo)
    with pytest.raises(DiffApplyError):
        apply_diff(str(repo), diff)
    assert tree_state(repo) == before


def test_garbage_is_not_a_diff(repo: Path) -> None:
    with pytest.raises(DiffApplyError, match="does not apply"):
        apply_diff(str(repo), b"this is not a patch\n")


def test_diff_cannot_write_outside_the_worktree(repo: Path, tmp_path: Path) -> None:
    hostile = (
        b"diff --git a/../escaped.txt b/../escaped.txt\nnew file mode 100644\n"
        b"--- /dev/null\n+++ b/../escaped.txt\n@@ -0,0 +1 @@\n+x\n"
    )
    with pytest.raises(DiffApplyError):
        apply_diff(str(repo), hostile)
    assert not (repo.parent / "escaped.txt").exists()


def test_apply_outside_git(tmp_path: Path) -> None:
    with pytest.raises(NotInGitError, match="run 'git init'"):
        apply_diff(str(tmp_path), b"diff --git a/x b/x\n")


def test_index_untouched_by_diff_of_a_touched_file(repo: Path) -> None:
    stamp = os.stat(repo / "text.txt").st_mtime + 5
    os.utime(repo / "text.txt", (stamp, stamp))
    before = index_bytes(repo)
    assert uncommitted_diff(str(repo)) == b""
    assert index_bytes(repo) == before


def test_no_temporary_index_left_behind(repo: Path) -> None:
    (repo / "text.txt").write_bytes(b"changed\n")
    before = sorted(os.listdir(repo / ".git"))
    uncommitted_diff(str(repo))
    assert sorted(os.listdir(repo / ".git")) == before
    assert shutil.which("git")


def test_temporary_index_keeps_stat_data(repo: Path, head: str, tmp_path: Path) -> None:
    # Stat data lets `git add` skip re-hashing unchanged files: large trees stay fast.
    from repro.git.command import open_workdir
    from repro.git.diff import _read_head

    index = str(tmp_path / "index")
    _read_head(open_workdir(str(repo)), head, index)
    listing = subprocess.run(
        ["git", "ls-files", "--debug", "text.txt"],
        cwd=repo,
        env={**os.environ, "GIT_INDEX_FILE": index},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "text.txt" in listing
    assert "mtime: 0:0" not in listing
