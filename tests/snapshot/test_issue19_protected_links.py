"""Issue 19, section 6: a symbolic link inside the project that leads into
``.repro`` or ``.git`` is never followed by a snapshot, so neither the
store, the config nor Git's hooks become data.

Through the real ``repro snapshot`` in a real Git repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_testing import one_line_error, run_repro
from repro_testing import write_files


@pytest.fixture
def project(git_repo: Path) -> Path:
    assert run_repro(git_repo, "init").code == 0
    write_files(git_repo, {"data/rows.csv": b"value\n1\n"})
    return git_repo


@pytest.mark.parametrize(
    "target",
    [
        "../.repro",  # a folder: the config, the cache's objects
        "../.repro/config.toml",  # a file
        "../.git",
        "../.git/hooks",  # a folder below one
        "../.repro/../.repro",  # still .repro once resolved
    ],
)
def test_a_link_into_repro_or_git_is_refused_not_followed(project: Path, target: str) -> None:
    os.symlink(target, project / "data" / "link")
    done = run_repro(project, "snapshot", "data", "--json")
    error = one_line_error(done)
    assert "data/link" in error and ".git or .repro" in error, error
    assert done.out == ""  # no tree id: nothing of .repro or .git was taken in


def test_a_link_that_resolves_into_repro_through_another_link_is_refused(project: Path) -> None:
    os.symlink(project / ".repro", project / "elsewhere")
    os.symlink("../elsewhere/config.toml", project / "data" / "settings")
    error = one_line_error(run_repro(project, "snapshot", "data"))
    assert "data/settings" in error and ".repro" in error, error


def test_links_elsewhere_are_still_followed(project: Path) -> None:
    write_files(project, {"shared/extra.csv": b"value\n2\n", "notes.git/x": b"3"})
    os.symlink("../shared", project / "data" / "shared")
    os.symlink("../notes.git/x", project / "data" / "x")  # a name like .git's is not .git
    done = run_repro(project, "snapshot", "data", "--json")
    assert done.code == 0, done
    assert done.json()["files"] == 3
