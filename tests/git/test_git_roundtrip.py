"""Property: for any mix of edits, deletions, mode flips and new files,
HEAD plus the uncommitted diff is the work tree, byte for byte."""

from __future__ import annotations

import tempfile
from pathlib import Path

from gitrepo_testing import BASE, EXECUTABLE, commit_files, tree_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from repro_testing import git, write_files

from repro.git import temporary_worktree, uncommitted_diff

CONTENT = st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode))
# Editing .gitignore could hide new files, which the diff rightly leaves out.
EDITABLE = sorted(name for name in BASE if name not in ("repro.lock", ".gitignore"))
EDIT = st.one_of(
    st.just(("keep", b"")),
    st.just(("delete", b"")),
    st.just(("chmod", b"")),
    st.tuples(st.just("write"), CONTENT),
)
# New files start with "n" and folders with "dir": no base file, folder or
# the lock can collide with them.
NEW_PATH = st.tuples(
    st.sampled_from(["", "dir1/", "dir1/dir2/", "sub/deep/", "sub/dir3/"]),
    st.from_regex(r"n[a-z0-9 ._\u00e9-]{0,6}", fullmatch=True),
).map("".join)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.fixed_dictionaries({name: EDIT for name in EDITABLE}),
    new=st.dictionaries(NEW_PATH, st.tuples(CONTENT, st.booleans()), max_size=5),
)
def test_head_plus_diff_is_the_work_tree(
    edits: dict[str, tuple[str, bytes]], new: dict[str, tuple[bytes, bool]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        head = commit_files(repo, BASE, EXECUTABLE)
        for name, (action, data) in edits.items():
            _edit(repo / name, action, data)
        for name, (data, executable) in new.items():
            write_files(repo, {name: data})
            (repo / name).chmod(0o755 if executable else 0o644)
        diff = uncommitted_diff(str(repo))
        with temporary_worktree(str(repo), head, diff=diff) as tree:
            assert tree_state(tree) == tree_state(repo)


def _edit(path: Path, action: str, data: bytes) -> None:
    if action == "delete":
        path.unlink()
    elif action == "chmod":
        path.chmod(path.stat().st_mode ^ 0o111)
    elif action == "write":
        path.write_bytes(data)
