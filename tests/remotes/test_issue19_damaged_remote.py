"""Issue 19, section 6: damage on a remote is reported as the remote's.

Repository A runs the flow project and pushes it to a folder remote; the
test then damages the remote as bad luck (or an attacker) would, and a
fresh clone B pulls or replays through the real ``repro`` command. The
error must name what is damaged on the remote and how to repair it, not
blame the local cache or claim the objects were never pushed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_testing import one_line_error
from pipeline_testing import cli, run_and_push_to_folder
from repro_testing import git


@pytest.fixture
def pushed(git_repo: Path, tmp_path: Path) -> tuple[Path, str]:
    """The flow project (data out of Git), run and pushed to a folder
    remote at ``tmp_path/remote``; its run id."""
    return git_repo, run_and_push_to_folder(git_repo, tmp_path / "remote")


def _clone(origin: Path, name: str) -> Path:
    clone = origin.parent / name
    git(origin.parent, "clone", "-q", str(origin), str(clone))
    return clone


def _overwrite(path: Path, data: bytes) -> None:
    path.chmod(0o644)  # objects are stored read-only
    path.write_bytes(data)


@pytest.mark.parametrize("command", ["pull", "replay"])
def test_a_damaged_remote_pack_index_is_named_by_pull_and_replay(
    pushed: tuple[Path, str], tmp_path: Path, command: str
) -> None:
    origin, run = pushed
    (index,) = (tmp_path / "remote").glob("*/packs/*.idx")
    _overwrite(index, b"garbage, not an index")
    clone = _clone(origin, f"clone-{command}")
    args = ["pull"] if command == "pull" else ["replay", run, "--verify"]
    error = one_line_error(cli(clone, *args))
    assert f"packs/{index.name}" in error and str(index.parent) in error, error
    assert "damaged" in error and "repro fsck --remote" in error, error
    # Not the old, misleading verdict that the objects were never pushed.
    assert "in neither the local cache nor" not in error, error
    # What the message says to do repairs the remote.
    index.unlink()
    assert cli(origin, "push").code == 0
    assert cli(clone, *args).code == 0


def test_a_corrupt_tree_on_the_remote_is_reported_as_the_remotes(
    pushed: tuple[Path, str], tmp_path: Path
) -> None:
    origin, _ = pushed
    tree_oid = _data_tree(origin)
    (tree,) = (tmp_path / "remote").glob(f"*/objects/{tree_oid[:2]}/{tree_oid[2:]}")
    _overwrite(tree, tree.read_bytes().replace(b"rows.csv", b"rows.CSV"))
    clone = _clone(origin, "clone-tree")
    error = one_line_error(cli(clone, "pull"))
    assert tree_oid in error and "corrupt" in error, error
    assert "remote 'origin'" in error and str(tree) in error, error
    assert "repro fsck --remote" in error, error
    # Not sent to restore a local object "from a remote": the remote's copy
    # is the damaged one, and the local cache never admitted it.
    assert "restore it from a remote" not in error, error
    assert cli(clone, "fsck").code == 0
    # What the message says to do repairs the remote.
    tree.unlink()
    assert cli(origin, "push").code == 0
    assert cli(clone, "pull").code == 0


def _data_tree(project: Path) -> str:
    """The tree id the lock pins for the flow's data."""
    import yaml

    lock = yaml.safe_load((project / "repro.lock").read_text())
    (entry,) = lock["pipelines"].values()
    (dataset,) = entry["inputs"].values()
    oid: str = dataset["oid"]
    return oid


def test_damage_the_local_cache_holds_is_still_the_local_caches(
    pushed: tuple[Path, str], tmp_path: Path
) -> None:
    """The remote's store is the only one whose damage is called the remote's."""
    origin, _ = pushed
    shutil.rmtree(tmp_path / "remote")
    tree_oid = _data_tree(origin)
    cache = origin / ".repro/cache"
    (tree,) = cache.glob(f"*/objects/{tree_oid[:2]}/{tree_oid[2:]}")
    _overwrite(tree, tree.read_bytes().replace(b"rows.csv", b"rows.CSV"))
    error = one_line_error(cli(origin, "checkout", tree_oid, str(tmp_path / "out")))
    assert "corrupt" in error and "remote 'origin'" not in error, error
