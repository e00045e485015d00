"""Issue 19: run records on a shared remote are hostile input.

Repository A runs the flow project and pushes it to a folder remote. An
attacker who can write to the remote (not to Git) then adds objects and a
crafted copy of the pushed record under a new run id, as the issue's
campaign did; a fresh clone B pulls, fetches and checks out that run
through the real ``repro`` command. Nothing may be written in ``.git`` or
``.repro``, nor outside the project (or the checkout folder), and the
user gets one clear line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_testing import one_line_error
from pipeline_testing import cli, run_and_push_to_folder
from repro_testing import git

from repro.hashing import canonical_dumps
from repro.lineage.runs import new_run_id
from repro.store import ObjectStore, Tree, TreeEntry
from repro.store.backend import open_backend

HOOK = b'#!/bin/sh\necho pwned > "$(git rev-parse --show-toplevel)/../pwned"\n'


@pytest.fixture
def pushed(git_repo: Path, tmp_path: Path) -> tuple[Path, str]:
    return git_repo, run_and_push_to_folder(git_repo, tmp_path / "remote")


class Attacker:
    """Write access to the remote folder, through the same store code a
    push uses (so objects are well-formed), and raw JSON for records (so
    no check of repro's own runs before they are written)."""

    def __init__(self, remote: Path) -> None:
        (folder,) = [path for path in remote.iterdir() if path.is_dir()]
        self.folder = folder
        self.store = ObjectStore(open_backend(str(folder)), folder.name)

    def record(self, run: str) -> dict[str, Any]:
        oid = (self.folder / "runs" / run).read_text().strip()
        return json.loads(self.store.read(oid))

    def file_tree(self, name: str, data: bytes) -> str:
        blob = self.store.write(data)
        tree = Tree.build(self.store.algorithm.name, [TreeEntry(name, blob, len(data), True)])
        return self.store.write(tree.to_bytes())

    def publish(self, record: dict[str, Any]) -> str:
        record["id"] = new_run_id()
        oid = self.store.write(canonical_dumps(record))
        (self.folder / "runs").mkdir(exist_ok=True)
        (self.folder / "runs" / record["id"]).write_text(oid + "\n")
        return str(record["id"])


def _clone(origin: Path, name: str) -> Path:
    clone = origin.parent / name
    git(origin.parent, "clone", "-q", str(origin), str(clone))
    return clone


def _files(top: Path) -> dict[str, bytes]:
    found = {}
    for folder, _, names in os.walk(top):
        for name in names:
            path = Path(folder, name)
            if not path.is_symlink():
                found[str(path.relative_to(top))] = path.read_bytes()
    return found


def _input(uri: str, tree: str) -> dict[str, Any]:
    return {"uri": uri, "oid": tree, "files": 1, "bytes": len(HOOK), "kind": "file"}


def _hostile_input(uri: str) -> Callable[[Attacker, dict[str, Any]], None]:
    def craft(attacker: Attacker, record: dict[str, Any]) -> None:
        record["inputs"][uri] = _input(uri, attacker.file_tree(uri.rsplit("/", 1)[-1], HOOK))

    return craft


def _hostile_step(attacker: Attacker, record: dict[str, Any]) -> None:
    name, step = next(iter(record["steps"].items()))
    record["steps"]["../../../.."] = record["steps"].pop(name)
    step["outputs"] = {"victimfile.txt": next(iter(step["outputs"].values()))}


def _hostile_output(attacker: Attacker, record: dict[str, Any]) -> None:
    step = next(iter(record["steps"].values()))
    step["outputs"] = {"../../victimfile.txt": next(iter(step["outputs"].values()))}


def _hostile_newline(attacker: Attacker, record: dict[str, Any]) -> None:
    name = next(iter(record["steps"]))
    record["steps"]["ok\nrestored .git/hooks/post-checkout"] = record["steps"].pop(name)


CRAFTS = {
    "input in .git/hooks": _hostile_input(".git/hooks/post-checkout"),
    "input at .repro/config.toml": _hostile_input(".repro/config.toml"),
    "absolute input": _hostile_input("/tmp/victimfile.txt"),
    "input leading out": _hostile_input("data/../../victimfile.txt"),
    "step name leading out": _hostile_step,
    "output name leading out": _hostile_output,
    "step name faking a line": _hostile_newline,
}


@pytest.mark.parametrize("craft", sorted(CRAFTS))
@pytest.mark.parametrize("how", ["pull", "fetch+checkout"])
def test_a_crafted_remote_record_writes_nothing_outside_its_place(
    pushed: tuple[Path, str], tmp_path: Path, craft: str, how: str
) -> None:
    origin, run = pushed
    attacker = Attacker(tmp_path / "remote")
    record = attacker.record(run)
    CRAFTS[craft](attacker, record)
    crafted = attacker.publish(record)
    clone = _clone(origin, "clone")
    before = _files(tmp_path)
    if how == "pull":
        error = one_line_error(cli(clone, "pull", crafted))
    else:
        error = one_line_error(cli(clone, "fetch", crafted))
        checkout = cli(clone, "checkout", crafted)  # not fetched: not a run here
        assert checkout.code != 0 and "Traceback" not in checkout.err, checkout
    assert f"record of run {crafted}" in error and "is refused" in error, error
    changed = {
        path
        for path, data in _files(tmp_path).items()
        if before.get(path) != data and not path.startswith("clone/.repro/")
    }
    assert not changed, changed
    assert not (clone / ".git/hooks/post-checkout").exists()
    assert "pwned" not in (clone / ".repro/config.toml").read_text()
    # The honest run is still pulled as before.
    assert cli(clone, "pull", run).code == 0


def test_an_honest_record_still_checks_out(pushed: tuple[Path, str], tmp_path: Path) -> None:
    origin, run = pushed
    clone = _clone(origin, "clone")
    assert cli(clone, "fetch", run).code == 0
    done = cli(clone, "checkout", run, "--json")
    assert done.code == 0, done
    for path in done.json()["outputs"]:
        assert (clone / path).resolve().is_relative_to(clone / "outputs" / run)
