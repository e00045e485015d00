"""The writable mirror a shell step runs in when the project is mounted
read-only."""

from __future__ import annotations

import os
from pathlib import Path

from repro.backends.mirror import mirror_tree


def _project(root: Path) -> Path:
    (root / "data" / "deep").mkdir(parents=True)
    (root / "data" / "deep" / "a.txt").write_text("a")
    (root / "run.sh").write_text("echo hi")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref")
    (root / ".repro").mkdir()
    (root / "linked").symlink_to("data")
    return root


def test_files_are_read_through_links_and_new_files_land_in_the_mirror(tmp_path: Path) -> None:
    source = _project(tmp_path / "src")
    mirror = Path(mirror_tree(str(source), str(tmp_path / "mirror")))
    assert (mirror / "data" / "deep" / "a.txt").read_text() == "a"
    assert os.path.islink(mirror / "run.sh")
    (mirror / "data" / "new.txt").write_text("out")
    assert not (source / "data" / "new.txt").exists()


def test_git_and_repro_are_left_out_and_symlinks_stay_links(tmp_path: Path) -> None:
    source = _project(tmp_path / "src")
    mirror = Path(mirror_tree(str(source), str(tmp_path / "mirror")))
    assert not (mirror / ".git").exists() and not (mirror / ".repro").exists()
    assert os.readlink(mirror / "linked") == str(source / "linked")
    assert (mirror / "linked" / "deep" / "a.txt").read_text() == "a"


def test_an_existing_out_can_be_replaced_without_touching_the_original(tmp_path: Path) -> None:
    source = _project(tmp_path / "src")
    mirror = Path(mirror_tree(str(source), str(tmp_path / "mirror")))
    (mirror / "run.sh").unlink()
    (mirror / "run.sh").write_text("new")
    assert (source / "run.sh").read_text() == "echo hi"
