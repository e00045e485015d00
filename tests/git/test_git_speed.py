from __future__ import annotations

import time
from pathlib import Path

from gitrepo_testing import commit_files
from repro_testing import write_files

from repro.git import read_facts, uncommitted_diff

FILES = 2000


def test_facts_and_diff_of_a_large_tree_are_quick(git_repo: Path) -> None:
    # A budget, generous against the ~0.05 s measured, that catches a per-file
    # Git call or a re-hash of every file.
    commit_files(git_repo, {f"d{i % 40}/f{i}.txt": b"line %d\n" % i for i in range(FILES)})
    write_files(git_repo, {"d1/f1.txt": b"changed\n", "new/untracked.txt": b"new\n"})
    import git  # noqa: F401  # GitPython's one-off import is not what is measured

    start = time.perf_counter()
    facts = read_facts(str(git_repo))
    diff = uncommitted_diff(str(git_repo))
    elapsed = time.perf_counter() - start
    assert facts.dirty
    assert diff.count(b"diff --git") == 2
    assert elapsed < 0.5
