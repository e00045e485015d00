"""Fuzzing what someone who can write to the shared remote (not to the Git
repository) can plant: a crafted run record listed as ``runs/<id>`` with
hostile names and paths in every field, crafted trees and payload blobs
(a Git hook, a pickle, an object ``.npy``, an uncommitted diff that writes
a file when imported), and damage to the real run's files (random bytes,
truncation, symlinks, a re-hashed pack index lying about lengths).

Each example copies the project, plants one attack and runs one command
that reads it (after a ``repro fetch`` where the command reads only the
local index): pull, fetch, checkout (of the run, and of a crafted tree),
replay, runs show/list, report, gc --dry-run, models list, fsck --remote.
See fuzz_harness for the properties every command is held to.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from fuzz_attacks import (
    Store,
    TreeSpec,
    any_mutations,
    craft_record,
    craft_tree,
    publish,
    tree_specs,
)
from fuzz_harness import Case, attack, fuzz_settings
from fuzz_project import Template
from hypothesis import given
from hypothesis import strategies as st

Plan = Callable[[str, str, str], list[tuple[str, ...]]]

# (run as listed, a crafted tree, the real run) -> the commands, in order.
PLANS: dict[str, Plan] = {
    "pull": lambda run, tree, real: [("pull", "--", run)],
    "fetch": lambda run, tree, real: [("fetch", "--", run)],
    "checkout": lambda run, tree, real: [("fetch", "--", run), ("checkout", "--", run)],
    "checkout tree": lambda run, tree, real: [
        ("fetch", "--", run),
        ("checkout", tree, "outputs/tree"),
    ],
    "replay": lambda run, tree, real: [("replay", "--", run)],
    "runs show": lambda run, tree, real: [("fetch", "--", run), ("runs", "show", "--", run)],
    "runs list": lambda run, tree, real: [("fetch", "--", run), ("runs", "list")],
    "runs compare": lambda run, tree, real: [
        ("fetch", "--", run),
        ("runs", "compare", "--", real, run),
    ],
    "report": lambda run, tree, real: [("fetch", "--", run), ("report", "--", run)],
    "gc": lambda run, tree, real: [("fetch", "--", run), ("gc", "--dry-run", "--grace", "0")],
    "models": lambda run, tree, real: [("fetch", "--", run), ("models", "list")],
    "fsck": lambda run, tree, real: [("fsck", "--remote")],
}
# Reading the real run when the remote is damaged.
DAMAGE_PLANS: dict[str, Plan] = {
    "pull": lambda run, tree, real: [("pull", "--", real)],
    "pull (lock)": lambda run, tree, real: [("pull",)],
    "fetch": lambda run, tree, real: [("fetch", "--", real)],
    "replay": lambda run, tree, real: [("replay", "--", real)],
    "fsck": lambda run, tree, real: [("fsck", "--remote")],
    "gc remote": lambda run, tree, real: [("gc", "--remote", "--dry-run", "--grace", "0")],
}


def forget_local(case: Case) -> None:
    """The project as a fresh clone has it: no cache, no runs, no steps."""
    for name in ("cache", "runs", "steps", "tmp"):
        folder = case.project / ".repro" / name
        for path in folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("plan", sorted(PLANS))
@fuzz_settings(3)
@given(
    mutated=any_mutations(),
    fresh=st.booleans(),
    listing=st.one_of(st.none(), st.none(), st.none(), st.binary(max_size=80)),
    spare=tree_specs(),
)
def test_crafted_remote_run(
    template: Template,
    plan: str,
    mutated: list[tuple[str, object]],
    fresh: bool,
    listing: bytes | None,
    spare: TreeSpec,
) -> None:
    with attack(template, "remote run") as case:
        if fresh:
            forget_local(case)
            case.note("the victim is a fresh clone")
        store = Store(case, case.store)
        doc = craft_record(store, mutated)
        run = publish(store, doc, listing)
        tree = craft_tree(store, spare)
        case.freeze()
        for args in PLANS[plan](run, tree, template.run):
            case.repro(*args)


DAMAGE = [
    "listing-random",
    "listing-hostile",
    "listing-symlink-zero",
    "listing-symlink-victim",
    "idx-random",
    "idx-truncated",
    "idx-lying",
    "pack-flip",
    "pack-truncated",
    "loose-flip",
    "loose-random",
    "loose-symlink-zero",
    "loose-symlink-victim",
    "loose-is-folder",
    "junk-files",
    "objects-symlink-out",
    "runs-is-file",
]


def damage(case: Case, kind: str, noise: bytes, index: int) -> None:
    store = case.store
    run = case.template.run
    packs = sorted((store / "packs").glob("*.idx"))
    loose = sorted(p for p in (store / "objects").rglob("*") if p.is_file())
    target: Path
    if kind.startswith("listing"):
        target = store / "runs" / run
        target.unlink()
        if kind == "listing-random":
            target.write_bytes(noise)
        elif kind == "listing-hostile":
            target.write_bytes(b"../../../victim/keep.txt\n" if index % 2 else b"0" * 10_000_000)
        else:
            os.symlink("/dev/zero" if kind.endswith("zero") else case.victim / "keep.txt", target)
    elif kind.startswith("idx"):
        target = packs[index % len(packs)]
        data = target.read_bytes()
        if kind == "idx-random":
            target.write_bytes(noise)
        elif kind == "idx-truncated":
            target.write_bytes(data[: index % len(data)])
        else:
            _lying_index(store, target, index)
    elif kind.startswith("pack"):
        target = packs[index % len(packs)].with_suffix(".pack")
        data = bytearray(target.read_bytes())
        if kind == "pack-flip":
            data[index % len(data)] ^= 0xFF
        else:
            data = data[: index % len(data)]
        target.write_bytes(bytes(data))
    elif kind.startswith("loose"):
        target = loose[index % len(loose)]
        target.chmod(0o644)
        if kind == "loose-flip":
            data = bytearray(target.read_bytes() or b"\0")
            data[index % len(data)] ^= 0xFF
            target.write_bytes(bytes(data))
        elif kind == "loose-random":
            target.write_bytes(noise)
        elif kind == "loose-is-folder":
            target.unlink()
            target.mkdir()
        else:
            target.unlink()
            os.symlink("/dev/zero" if kind.endswith("zero") else case.victim / "keep.txt", target)
    elif kind == "junk-files":
        (store / "objects" / "zz").mkdir(exist_ok=True)
        (store / "objects" / "zz" / "not-an-object").write_bytes(noise)
        (store / "objects" / "ab").mkdir(exist_ok=True)
        (store / "objects" / "ab" / "c").write_bytes(noise)
        (store / "packs" / "x.idx").write_bytes(noise)
        (store / "packs" / ".idx").write_bytes(noise)
        (store / "runs" / ".hidden").write_bytes(noise)
    elif kind == "objects-symlink-out":
        folder = loose[index % len(loose)].parent
        shutil.rmtree(folder)
        os.symlink(case.victim, folder)
    elif kind == "runs-is-file":
        shutil.rmtree(store / "runs")
        (store / "runs").write_bytes(noise)
    case.note(f"remote damage {kind} (index {index}, noise {noise[:16]!r})")


def _lying_index(store: Path, index_path: Path, which: int) -> None:
    """A well-formed index, named by its own hash as a real one is, whose
    entries claim huge offsets or lengths; the real pack is replaced."""
    from repro.hashing import get_algorithm

    data = bytearray(index_path.read_bytes())
    _magic, size, count = struct.unpack(">8sHI", data[:14])
    record = size + 16
    for i in range(count):
        at = 14 + i * record + size
        offset, length = struct.unpack(">QQ", data[at : at + 16])
        if which % 3 == 0:
            length = 2**62
        elif which % 3 == 1:
            offset = 2**62
        else:
            length = 2**63 - 1 - offset
        data[at : at + 16] = struct.pack(">QQ", offset, length)
    pack_id = get_algorithm("xxh3-128").hexdigest(bytes(data))
    shutil.copy(index_path.with_suffix(".pack"), store / "packs" / f"{pack_id}.pack")
    (store / "packs" / f"{pack_id}.idx").write_bytes(bytes(data))
    index_path.with_suffix(".pack").unlink()
    index_path.unlink()


@pytest.mark.parametrize("plan", sorted(DAMAGE_PLANS))
@fuzz_settings(2)
@given(
    kind=st.sampled_from(DAMAGE),
    noise=st.binary(max_size=200),
    index=st.integers(0, 10_000),
    fresh=st.booleans(),
)
def test_damaged_remote(
    template: Template, plan: str, kind: str, noise: bytes, index: int, fresh: bool
) -> None:
    with attack(template, "remote damage") as case:
        if fresh:
            forget_local(case)
            case.note("the victim is a fresh clone")
        damage(case, kind, noise, index)
        case.freeze()
        for args in DAMAGE_PLANS[plan]("", "", template.run):
            case.repro(*args)
