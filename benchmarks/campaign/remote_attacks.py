"""An attacker with write access to the remote (not to Git): tampered
objects, packs and indexes; crafted trees; crafted run records. Every
trial runs in a sandbox: a copy of a pushed remote and a fresh clone at
``<sandbox>/w/x/clone``; the whole sandbox is listed and hashed before and
after, and only the clone's data paths may change."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.campaign.craft import (
    RemoteFolder,
    flip_byte,
    new_run_id,
    oid_of,
    tree_manifest,
    truncate,
)
from benchmarks.campaign.proc import Result, git, repro
from benchmarks.campaign.report import Check, Row
from benchmarks.campaign.world import (
    World,
    add_remote,
    clone,
    commit_all,
    diff_states,
    folder_state,
    latest_run,
    local_remote,
    must,
    quickstart_project,
)

__all__ = ["Pushed", "crafted_records", "crafted_trees", "pushed_quickstart", "tampered_remote"]

# What a pull, fetch or checkout may write in the clone.
DATA_PATHS = (".repro/cache", ".repro/runs", ".repro/steps", ".repro/tmp", "data", "outputs")
HOOK = "#!/bin/sh\necho pwned >> '{marker}'\n"


@dataclass(frozen=True)
class Pushed:
    """The quickstart, run, committed and pushed to a folder remote, with
    its data kept out of Git: a clone needs the remote for it."""

    origin: Path
    remote: Path
    run: str

    @property
    def store(self) -> RemoteFolder:
        return RemoteFolder(self.remote)


def pushed_quickstart(world: World) -> Pushed:
    cached = getattr(world, "_pushed", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    base = world.fresh("pushed-quickstart")
    origin = quickstart_project(base / "origin", data_in_git=False)
    remote = base / "remote"
    remote.mkdir()
    add_remote(origin, str(remote))
    must(repro(origin, "run"), "the quickstart run")
    run = latest_run(origin)
    commit_all(origin, "lock and remote")
    must(repro(origin, "push"), "push")
    pushed = Pushed(origin, remote, run)
    world._pushed = pushed  # type: ignore[attr-defined]
    return pushed


@dataclass
class Arena:
    box: Path
    remote: Path
    clone: Path
    marker: Path

    @property
    def store(self) -> RemoteFolder:
        return RemoteFolder(self.remote)

    def skip(self) -> list[Path]:
        return [self.clone / p for p in DATA_PATHS]

    def state(self) -> dict[str, tuple[Any, ...]]:
        return folder_state(self.box, self.skip())


def arena(world: World, pushed: Pushed, name: str) -> Arena:
    box = world.fresh(name)
    remote = box / "remote"
    shutil.copytree(pushed.remote, remote, symlinks=True)
    where = box / "w" / "x"
    where.mkdir(parents=True)
    copy_ = clone(pushed.origin, where / "clone")
    local_remote(copy_, str(remote))
    # Files an escaping write would land on, at every level above the clone.
    for folder in (box, box / "w", where):
        (folder / "victimfile.txt").write_text("original\n")
    return Arena(box, remote, copy_, box / "PWNED")


# tampered remote


def _largest(sizes: dict[str, int], exclude: set[str]) -> str:
    return max((oid for oid in sizes if oid not in exclude), key=lambda oid: sizes[oid])


def _tampers(pushed: Pushed) -> dict[str, Callable[[RemoteFolder], str]]:
    record = pushed.store.runs()[pushed.run]
    doc = pushed.store.record(pushed.run)
    trees = {snap["oid"] for snap in doc["inputs"].values()}

    def packed_target(store: RemoteFolder) -> tuple[str, Any]:
        packs = store.packs()
        oid = _largest({o: p.length for o, p in packs.items()}, trees | {record})
        return oid, packs[oid]

    def pack_flip(store: RemoteFolder) -> str:
        oid, where = packed_target(store)
        flip_byte(where.pack, where.offset + where.length // 2)
        return f"object {oid[:8]} flipped inside its pack"

    def pack_truncate(store: RemoteFolder) -> str:
        oid, where = packed_target(store)
        truncate(where.pack, where.offset + where.length // 2)
        return f"pack cut in the middle of {oid[:8]}"

    def idx_flip(store: RemoteFolder) -> str:
        index = next(iter(store.packs().values())).index
        flip_byte(index, 14 + 3)
        return "a digest in a pack index flipped"

    def idx_truncate(store: RemoteFolder) -> str:
        index = next(iter(store.packs().values())).index
        truncate(index, index.stat().st_size - 9)
        return "a pack index cut short"

    def loose_target(store: RemoteFolder) -> Path:
        loose = store.loose()
        return loose[_largest({o: p.stat().st_size for o, p in loose.items()}, set())]

    def loose_flip(store: RemoteFolder) -> str:
        path = loose_target(store)
        flip_byte(path, path.stat().st_size // 2)
        return "a loose object flipped"

    def loose_truncate(store: RemoteFolder) -> str:
        path = loose_target(store)
        truncate(path, path.stat().st_size // 2)
        return "a loose object cut in half"

    def tree_swap(store: RemoteFolder) -> str:
        store.unpack()
        oid = next(s["oid"] for s in doc["inputs"].values() if s["kind"] == "folder")
        data = store.read(oid)
        changed = data.replace(b"drop-001", b"drop-666")
        assert changed != data
        store.write(changed, oid)  # a valid tree, under the old tree's id
        return "a tree rewritten (valid, another file name) under its old id"

    def record_swap(store: RemoteFolder) -> str:
        store.unpack()
        data = store.read(record)
        changed = data.replace(b'"n_estimators":100', b'"n_estimators":999')
        assert changed != data
        store.write(changed, record)
        return "the run record rewritten (valid JSON, other params) under its old id"

    return {
        "pack-flip": pack_flip,
        "pack-truncate": pack_truncate,
        "idx-flip": idx_flip,
        "idx-truncate": idx_truncate,
        "loose-flip": loose_flip,
        "loose-truncate": loose_truncate,
        "tree-rewrite": tree_swap,
        "record-rewrite": record_swap,
    }


def tampered_remote(world: World, row: Row, trials: int) -> None:
    pushed = pushed_quickstart(world)
    tampers = _tampers(pushed)
    commands: dict[str, tuple[str, ...]] = {
        "pull": ("pull",),
        "replay": ("replay", pushed.run, "--verify"),
        "fsck": ("fsck", "--remote"),
    }
    plan = [(k, c) for k in tampers for c in commands]
    if trials < len(plan):  # quick: every kind, the commands in turn
        plan = [(k, list(commands)[i % len(commands)]) for i, k in enumerate(tampers)]
    unclear: list[str] = []
    for kind, command in plan:
        check = Check(f"{kind} x {command}")
        place = arena(world, pushed, f"tampered/{kind}-{command}")
        what = tampers[kind](place.store)
        result = repro(place.clone, *commands[command])
        check.clean(result.one_line_refusal(), f"{what}; {command}")
        if result.code not in (0, None) and not _clear(result, command):
            unclear.append(f"{kind} x {command}: {result.err.strip()[:140]}")
        if command != "fsck":
            local = repro(place.clone, "fsck")
            check.expect(
                local.ok, f"the clone's cache is not sound after {command}: {local.brief()}"
            )
            _same_data(pushed.origin, place.clone, check)
        row.add(check.trial())
    row.note(f"{len(tampers)} kinds x {len(commands)} commands; refused = one line, exit ≠ 0")
    if unclear:
        row.note(
            f"{len(unclear)} refusals do not say the remote is damaged: " + " / ".join(unclear)
        )


_DAMAGE_WORDS = (
    "corrupt",
    "damaged",
    "do not match",
    "does not match",
    "truncated",
    "not a valid",
    "hashes to",
)


def _clear(result: Result, command: str) -> bool:
    """Does the message say what is damaged (and, but from ``fsck
    --remote``, that it is on the remote)?"""
    text = result.err.lower()
    names_remote = command == "fsck" or "remote" in text
    return names_remote and any(word in text for word in _DAMAGE_WORDS)


def _same_data(origin: Path, clone_: Path, check: Check) -> None:
    """Whatever a refused pull left in data/ is the origin's bytes."""
    for path in (clone_ / "data").rglob("*"):
        if path.is_file():
            mine = origin / path.relative_to(clone_)
            check.expect(
                mine.exists() and mine.read_bytes() == path.read_bytes(),
                f"{path.relative_to(clone_)} was written with bytes the origin never had",
            )


# crafted trees


def crafted_trees(world: World, row: Row, trials: int) -> None:
    pushed = pushed_quickstart(world)
    kinds: dict[str, Callable[[Arena], str]] = {
        "../x": lambda a: "../victimfile.txt",
        "absolute": lambda a: str(a.box / "w" / "victimfile.txt"),
        ".git/hooks/x": lambda a: ".git/hooks/post-checkout",
        "a/../../x": lambda a: "a/../../victimfile.txt",
        ".repro/config.toml": lambda a: ".repro/config.toml",
    }
    _control(world, pushed, "crafted-trees/control", _Craft({}, {}, _pull, folder=True))
    refused = 0
    for name, path_of in list(kinds.items())[: max(trials, 1)]:
        check = Check(name)
        place = arena(world, pushed, f"crafted-trees/{name.replace('/', '_')}")
        store = place.store
        blob = HOOK.format(marker=place.marker).encode()
        store.write(blob)
        # The dataset is a folder the clone restores: "data/drops/".
        tree = store.write(tree_manifest([(path_of(place), oid_of(blob), len(blob), True)]))
        doc = copy.deepcopy(store.record(pushed.run))
        doc["id"] = new_run_id()
        doc["inputs"] = {
            "data/drops/": {
                "bytes": len(blob),
                "files": 1,
                "kind": "folder",
                "oid": tree,
                "uri": "data/drops/",
            }
        }
        store.plant_record(doc)
        refused += _attack(place, check, [("pull", doc["id"])], expect_refusal=True)
        row.add(check.trial())
    row.note(
        f"a tree with one such entry (an executable script) as a run's data/drops/, listed on "
        f"the remote; `repro pull RUN` in a fresh clone, then `git checkout -b`: {refused} refused"
    )


def _attack(
    place: Arena, check: Check, commands: list[tuple[str, ...]], *, expect_refusal: bool
) -> bool:
    """Run ``commands`` in the clone; nothing outside its data paths may
    change, no hook may run. True when one of them refused cleanly."""
    hooks = folder_state(place.clone / ".git" / "hooks")
    config = (place.clone / ".repro" / "config.toml").read_bytes()
    before = place.state()
    refused = False
    for args in commands:
        result = repro(place.clone, *args)
        check.clean(result.clean(), " ".join(args[:1]))
        if result.code not in (0, None):
            refused = True
            break  # a refused fetch leaves nothing for the checkout that follows
    changes = diff_states(before, place.state())
    check.expect(not changes, f"wrote outside the clone's data paths: {', '.join(changes[:4])}")
    check.expect(
        folder_state(place.clone / ".git" / "hooks") == hooks, "a file appeared in .git/hooks"
    )
    check.expect(
        (place.clone / ".repro" / "config.toml").read_bytes() == config,
        ".repro/config.toml was overwritten",
    )
    git(place.clone, "checkout", "-q", "-b", "probe", check=False)  # runs post-checkout
    check.expect(not place.marker.exists(), "a planted Git hook ran")
    if expect_refusal:
        check.expect(refused, "not refused: " + " then ".join(" ".join(a) for a in commands))
    return refused


# crafted run records


@dataclass(frozen=True)
class _Craft:
    """One crafted record: what it holds, and the commands a victim runs."""

    inputs: dict[str, tuple[str, str, bool]]  # uri -> (kind, content, executable)
    steps: dict[str, dict[str, str]]  # step name -> output name -> content
    commands: Callable[[str], list[tuple[str, ...]]]
    folder: bool = False  # control: a harmless new tree as data/drops/


def _control(world: World, pushed: Pushed, name: str, craft: _Craft) -> None:
    """The same crafting with nothing hostile in it must be accepted: so a
    refusal in the row is the hostile content's doing, not the craft's."""
    place = arena(world, pushed, name)
    base = place.store.record(pushed.run)
    if craft.folder:
        blob = b"rooms,age,distance,income,price\n1,2,3,4,5\n"
        place.store.write(blob)
        tree = place.store.write(tree_manifest([("drop-009.csv", oid_of(blob), len(blob), False)]))
        base = copy.deepcopy(base)
        base["inputs"]["data/drops/"].update(oid=tree, files=1, bytes=len(blob))
    run = _plant(place, base, craft)
    for args in craft.commands(run):
        result = repro(place.clone, *args)
        if not result.ok:
            raise RuntimeError(f"control: a harmless crafted record was refused: {result.brief()}")
    if craft.folder and not (place.clone / "data" / "drops" / "drop-009.csv").exists():
        raise RuntimeError("control: a harmless crafted tree was not checked out by pull")


def _pull(run: str) -> list[tuple[str, ...]]:
    return [("pull", run)]


def _pull_force(run: str) -> list[tuple[str, ...]]:
    return [("pull", run, "--force")]


def _fetch_checkout(run: str) -> list[tuple[str, ...]]:
    return [("fetch", run), ("checkout", run)]


def _fetch_checkout_here(run: str) -> list[tuple[str, ...]]:
    return [("fetch", run), ("checkout", run, ".")]


def _crafts(place: Arena) -> dict[str, _Craft]:
    hook = HOOK.format(marker=place.marker)
    evil_config = f'[core]\nhash = "xxh3-128"\n\n[cache]\ndir = "{place.box}/evil-cache"\n'
    return {
        "input .git/hooks/post-checkout (pull)": _Craft(
            {".git/hooks/post-checkout": ("file", hook, True)}, {}, _pull
        ),
        "input .git/hooks/post-checkout (fetch + checkout)": _Craft(
            {".git/hooks/post-checkout": ("file", hook, True)}, {}, _fetch_checkout
        ),
        "input .repro/config.toml (pull)": _Craft(
            {".repro/config.toml": ("file", evil_config, False)}, {}, _pull
        ),
        "input .repro/config.toml (pull --force)": _Craft(
            {".repro/config.toml": ("file", evil_config, False)}, {}, _pull_force
        ),
        "input data/../.git/hooks/post-checkout (pull)": _Craft(
            {"data/../.git/hooks/post-checkout": ("file", hook, True)}, {}, _pull
        ),
        "input ../victimfile.txt (pull)": _Craft(
            {"../victimfile.txt": ("file", "pwned\n", False)}, {}, _pull
        ),
        "input absolute path (pull)": _Craft(
            {str(place.box / "w" / "victimfile.txt"): ("file", "pwned\n", False)}, {}, _pull
        ),
        "step ../../../.. output victimfile.txt (checkout)": _Craft(
            {}, {"../../../..": {"victimfile.txt": '"pwned"'}}, _fetch_checkout
        ),
        "output ../../../../victimfile.txt (checkout)": _Craft(
            {}, {"evaluate": {"../../../../victimfile.txt": '"pwned"'}}, _fetch_checkout
        ),
        "step .git/hooks output post-checkout (checkout RUN .)": _Craft(
            {}, {".git/hooks": {"post-checkout": hook}}, _fetch_checkout_here
        ),
    }


def _plant(place: Arena, base: dict[str, Any], craft: _Craft) -> str:
    store = place.store
    doc = copy.deepcopy(base)
    doc["id"] = new_run_id()
    if craft.inputs or craft.steps:
        doc["inputs"] = {}
    for uri, (kind, content, executable) in craft.inputs.items():
        blob = content.encode()
        store.write(blob)
        name = uri.rstrip("/").rsplit("/", 1)[-1]
        tree = store.write(tree_manifest([(name, oid_of(blob), len(blob), executable)]))
        doc["inputs"][uri] = {
            "bytes": len(blob),
            "files": 1,
            "kind": kind,
            "oid": tree,
            "uri": uri,
        }
    if craft.steps:
        template = base["steps"]["evaluate"]
        doc["steps"] = {}
        doc["models"] = []
        for position, (step, outputs) in enumerate(craft.steps.items()):
            entry = copy.deepcopy(template)
            entry["outputs"] = {}
            entry["upstream"] = []
            entry["position"] = position
            for output, content in outputs.items():
                blob = content.encode()
                entry["outputs"][output] = {
                    "kind": "blob",
                    "materializer": "json" if content.startswith('"') else "bytes",
                    "oid": store.write(blob),
                    "size": len(blob),
                    "type": "builtins.str",
                    "version": "1",
                }
            doc["steps"][step] = entry
    store.plant_record(doc)
    return str(doc["id"])


def crafted_records(world: World, row: Row, trials: int) -> None:
    pushed = pushed_quickstart(world)
    base = pushed.store.record(pushed.run)
    _control(world, pushed, "crafted-records/control", _Craft({}, {}, _fetch_checkout))
    probe = arena(world, pushed, "crafted-records/names")
    names = list(_crafts(probe))[: max(trials, 1)]
    refused = 0
    for i, name in enumerate(names):
        check = Check(name)
        place = arena(world, pushed, f"crafted-records/{i + 1}")
        craft = _crafts(place)[name]
        run = _plant(place, base, craft)
        refused += _attack(place, check, craft.commands(run), expect_refusal=False)
        row.add(check.trial())
    row.note(
        "a copy of a pushed record with a new id listed under runs/<id>, its blobs and trees "
        "on the remote; held = nothing outside the clone's data paths changed (whole sandbox "
        f"hashed before/after), no .git/hooks file, no hook ran, no traceback; {refused} of "
        f"{len(names)} refused outright"
    )
