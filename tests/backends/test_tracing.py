"""Reading strace's output: each access resolved in the folder its process
was in, split calls joined, escapes undone; and a real trace of a process
tree that cd's, renames, and runs Python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from repro.backends.tracing import parse_trace, traced

TRACE = r"""
101 openat(AT_FDCWD</proj>, "a.txt", O_RDONLY) = 3</proj/a.txt>
101 openat(AT_FDCWD</proj>, "out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4</proj/out.txt>
102 openat(AT_FDCWD</proj/sub>, "../b.txt", O_RDONLY|O_CLOEXEC) = 3</proj/b.txt>
102 openat(AT_FDCWD</proj/sub>, "missing.cfg", O_RDONLY) = -1 ENOENT (No such file or directory)
102 openat(AT_FDCWD</proj/sub>, ".", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3</proj/sub>
102 open("c.txt", O_RDONLY) = 5</proj/sub/c.txt>
103 openat(AT_FDCWD</proj>, "split.txt", O_RDONLY <unfinished ...>
104 renameat2(AT_FDCWD</proj>, "tmp.part", AT_FDCWD</proj/data>, "final.bin", RENAME_NOREPLACE) = 0
103 <... openat resumed>) = 3</proj/split.txt>
105 openat(3</proj/data>, "inner.csv", O_RDONLY) = 6</proj/data/inner.csv>
106 openat(AT_FDCWD</proj>, "sp ace\"q.txt", O_RDONLY) = 3</proj/sp ace"q.txt>
106 openat(AT_FDCWD</proj>, "caf\303\251.txt", O_RDONLY) = 3</proj/café.txt>
107 rename("old.txt", "new.txt") = 0
108 openat(AT_FDCWD</proj>, "denied.txt", O_WRONLY|O_CREAT, 0644) = -1 EACCES (Permission denied)
109 creat("made.txt", 0644) = 3</proj/made.txt>
+++ exited with 0 +++
"""


def test_every_access_is_resolved_where_its_process_was() -> None:
    seen = parse_trace(TRACE, "/proj")
    assert seen.read == {
        "/proj/a.txt",
        "/proj/b.txt",
        "/proj/sub/missing.cfg",  # looked for: it may appear
        "/proj/sub/c.txt",  # no folder given: the process's last known one
        "/proj/split.txt",  # both halves of a split call
        "/proj/data/inner.csv",  # relative to the descriptor's folder
        '/proj/sp ace"q.txt',
        "/proj/café.txt",
    }
    assert seen.written == {
        "/proj/out.txt",
        "/proj/data/final.bin",  # the rename's target, in its own folder
        "/proj/new.txt",  # rename without folders: the start folder
        "/proj/made.txt",
    }


def test_a_listing_and_a_refused_write_are_not_accesses() -> None:
    seen = parse_trace(TRACE, "/proj")
    assert "/proj/sub" not in seen.read | seen.written
    assert "/proj/denied.txt" not in seen.written


def test_a_real_process_tree_is_traced(strace: str, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "sub").mkdir()
    script = (
        "cat a.txt > b.txt; cd sub && cat ../a.txt > c.txt && mv c.txt d.txt; "
        "cat nothere 2>/dev/null; "
        f"{sys.executable} -c \"open('../a.txt').read(); import os; os.rename('d.txt', 'e.txt')\"; "
        "for i in 1 2 3; do cat ../a.txt > /dev/null & done; wait"
    )
    trace = tmp_path / "trace"
    command = traced(["/bin/sh", "-c", script], str(trace), strace)
    assert subprocess.run(command, cwd=tmp_path, check=False).returncode == 0
    root = str(tmp_path.resolve())
    seen = parse_trace(trace.read_text(), root)
    mine = lambda paths: {p[len(root) + 1 :] for p in paths if p.startswith(root + "/")}  # noqa: E731
    assert mine(seen.read) == {"a.txt", "sub/nothere"}
    assert mine(seen.written) >= {"b.txt", "sub/c.txt", "sub/d.txt", "sub/e.txt"}
    assert "trace" not in mine(seen.written)


def test_the_exit_status_is_the_commands(strace: str, tmp_path: Path) -> None:
    command = traced(["/bin/sh", "-c", "exit 7"], str(tmp_path / "trace"), strace)
    assert subprocess.run(command, check=False).returncode == 7
