"""Hostile files in the project: a ``repro.lock`` anyone with a pull
request can commit (ten kinds, and a YAML alias bomb), and bad
``.repro/config.toml`` / ``config.local.toml``. Every command must end by
itself, quickly and in bounded memory, with no traceback, no write outside
the project's data paths, and, when it fails, one line saying why."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.campaign.proc import repro
from benchmarks.campaign.remote_attacks import Pushed, pushed_quickstart
from benchmarks.campaign.report import Check, Row
from benchmarks.campaign.world import World, diff_states, folder_state, local_remote

__all__ = ["alias_bomb", "bad_config", "hostile_lock"]

DATA_PATHS = (".repro/cache", ".repro/runs", ".repro/steps", ".repro/tmp", "data", "outputs")
LOCK_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("check", "lock"),
    ("pull",),
    ("status",),
    ("run", "--frozen"),
    ("check", "lineage"),
    ("check", "all"),
    ("push",),
    ("fetch",),
    ("gc", "--dry-run", "--grace", "0"),
    ("models", "list"),
)


@dataclass
class Sandbox:
    box: Path
    project: Path
    remote: Path
    marker: Path

    def state(self) -> dict[str, tuple[object, ...]]:
        skip = [self.project / p for p in DATA_PATHS]
        skip += [self.remote / "xxh3-128" / "objects", self.remote / "xxh3-128" / "packs"]
        return folder_state(self.box, skip)


def sandbox(world: World, pushed: Pushed, name: str) -> Sandbox:
    """A copy of the pushed quickstart (with its cache and data) and of its
    remote, under ``<box>/w/x/``, victim files above it."""
    box = world.fresh(name)
    where = box / "w" / "x"
    where.mkdir(parents=True)
    project = where / "project"
    shutil.copytree(pushed.origin, project, symlinks=True)
    remote = box / "remote"
    shutil.copytree(pushed.remote, remote, symlinks=True)
    local_remote(project, str(remote))
    for folder in (box, box / "w", where):
        (folder / "victimfile.txt").write_text("original\n")
    return Sandbox(box, project, remote, box / "PWNED")


def _in_params(lock: str, lines: str) -> str:
    """``lock`` with ``lines`` (indented for it) first under the
    quickstart pipeline's ``params:``."""
    head = "\n    params:\n"
    assert head in lock, "repro.lock has no pipeline params"
    return lock.replace(head, head + lines, 1)


def _lock_kinds(lock: str, run: str, marker: Path) -> dict[str, bytes]:
    record = next(line.split(":")[1].strip() for line in lock.splitlines() if "record:" in line)
    deep = 20_000
    return {
        "binary garbage": bytes(range(256)) * 16,
        "a non-UTF-8 byte": lock.replace("quickstart", "quick\udcffstart", 1).encode(
            "utf-8", "surrogateescape"
        ),
        "not a mapping": b"- pipelines\n- schema\n",
        "a newer schema": lock.replace("repro.lock/v1", "repro.lock/v99").encode(),
        "wrong types": b"pipelines:\n  quickstart: 42\nschema: repro.lock/v1\n",
        "run id as a path": lock.replace(f"run: {run}", "run: ../../../../victimfile").encode(),
        "bad object ids": lock.replace(record, "zz/../../victimfile").encode(),
        "dataset uris out of the project": lock.replace(
            "uri: data/housing.csv", "uri: ../../../victimfile.txt"
        )
        .replace("uri: data/drops/", "uri: .git/hooks/")
        .encode(),
        f"{deep} nested lists": _in_params(
            lock, "      deep: " + "[" * deep + "]" * deep + "\n"
        ).encode(),
        "a python/object tag": _in_params(
            lock, f"      evil: !!python/object/apply:os.system [\"touch '{marker}'\"]\n"
        ).encode(),
    }


def hostile_lock(world: World, row: Row, trials: int) -> None:
    pushed = pushed_quickstart(world)
    lock = (pushed.origin / "repro.lock").read_text()
    per_kind = max(1, min(len(LOCK_COMMANDS), math.ceil(trials / 10)))
    commands = LOCK_COMMANDS[:per_kind]
    refused = 0
    slowest = (0.0, "")
    for i, kind in enumerate(_lock_kinds(lock, pushed.run, Path("/nonexistent"))):
        place = sandbox(world, pushed, f"hostile-lock/{i + 1}")
        text = _lock_kinds(lock, pushed.run, place.marker)[kind]
        (place.project / "repro.lock").write_bytes(text)
        for args in commands:
            check = Check(f"{kind} x {' '.join(args)}")
            before = place.state()
            result = repro(place.project, *args, timeout=60, rss_limit_mib=2048)
            check.clean(result.clean(), " ".join(args))
            refused += result.code not in (0, None)
            if result.seconds > slowest[0]:
                slowest = (result.seconds, check.label)
            changes = diff_states(before, place.state())
            check.expect(not changes, f"wrote outside the data paths: {', '.join(changes[:4])}")
            check.expect(not place.marker.exists(), "the YAML tag ran a command")
            row.add(check.trial())
    row.note(
        f"{len(commands)} commands ({', '.join(' '.join(c) for c in commands)}); {refused} "
        f"refused in one line, the rest ended cleanly; slowest {slowest[0]:.1f}s ({slowest[1]})"
    )


# YAML alias bomb


def alias_bomb_text(levels: int = 9, width: int = 9) -> str:
    """``levels`` anchors, each a list of ``width`` aliases of the one
    before: ``width ** levels`` strings once expanded (387,420,489 for 9x9),
    about 1 KB written."""
    lines = ["      bomb:\n"]
    first = ",".join(['"lol"'] * width)
    lines.append(f"        a0: &a0 [{first}]\n")
    for level in range(1, levels):
        items = ",".join([f"*a{level - 1}"] * width)
        lines.append(f"        a{level}: &a{level} [{items}]\n")
    return "".join(lines)


BOMB_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("check", "lock"),
    ("status",),
    ("check", "all"),
    ("run", "--frozen"),
)
BOMB_SECONDS = 10.0
BOMB_MIB = 512


def alias_bomb(world: World, row: Row, trials: int) -> None:
    pushed = pushed_quickstart(world)
    place = sandbox(world, pushed, "alias-bomb")
    bomb = alias_bomb_text()
    lock = (place.project / "repro.lock").read_text()
    (place.project / "repro.lock").write_text(_in_params(lock, bomb))
    baseline = repro(pushed.origin, "status")
    for args in BOMB_COMMANDS[: max(1, trials)]:
        check = Check(" ".join(args))
        result = repro(place.project, *args, timeout=30, rss_limit_mib=2048)
        mib = result.max_rss_kib / 1024
        check.clean(result.clean(), " ".join(args))
        check.expect(
            result.seconds <= BOMB_SECONDS and not result.stopped,
            f"took {result.seconds:.1f}s (limit {BOMB_SECONDS:.0f}s)"
            + (f", killed by the watchdog ({result.stopped})" if result.stopped else ""),
        )
        check.expect(mib <= BOMB_MIB, f"peak memory {mib:.0f} MiB (limit {BOMB_MIB} MiB)")
        row.add(check.trial())
        row.note(f"{' '.join(args)}: {result.seconds:.1f}s, {mib:.0f} MiB, exit {result.code}")
    row.note(
        f"{len(bomb.encode())} bytes under params (9 levels x 9 aliases); peak RSS from wait4 "
        f"(the child's own getrusage); watchdog at 30 s / 2 GiB; `repro status` on the sound "
        f"lock: {baseline.seconds:.1f}s, {baseline.max_rss_kib / 1024:.0f} MiB"
    )


# bad .repro/config.toml and config.local.toml


def _with_key(base: str, table: str, key: str, value: str) -> str:
    """``base`` with ``key = value`` in ``[table]`` (replacing the key's
    line there), by text: the result need not be valid TOML."""
    header = f"[{table}]\n"
    if header not in base:
        return base + f"\n{header}{key} = {value}\n"
    before, _, rest = base.partition(header)
    section, sep, after = rest.partition("\n[")
    kept = [line for line in section.splitlines(keepends=True) if not line.startswith(f"{key} =")]
    return before + header + f"{key} = {value}\n" + "".join(kept) + sep + after


def _config_variants() -> dict[str, Callable[[str], bytes]]:
    return {
        "non-UTF-8 byte in a comment": lambda b: (b + "# caf\xe9 au lait\n").encode("latin-1"),
        "non-UTF-8 byte in a value": lambda b: _with_key(
            b, "cache", "dir", '".repro/caf\xe9"'
        ).encode("latin-1"),
        "NUL byte": lambda b: (b + "\x00\n").encode(),
        "UTF-16 text": lambda b: (b or "[core]\n").encode("utf-16"),
        "unclosed table header": lambda b: (b + "[core\n").encode(),
        "unterminated string": lambda b: _with_key(b, "core", "hash", '"xxh3-128').encode(),
        "duplicate key": lambda b: _with_key(b, "core", "jobs", "2\njobs = 3").encode(),
        "hash an integer": lambda b: _with_key(b, "core", "hash", "5").encode(),
        "unknown hash": lambda b: _with_key(b, "core", "hash", '"rot13"').encode(),
        "jobs a string": lambda b: _with_key(b, "core", "jobs", '"many"').encode(),
        "fsync a string": lambda b: _with_key(b, "cache", "fsync", '"yes"').encode(),
        "cache.type an integer": lambda b: _with_key(b, "cache", "type", "7").encode(),
        "pack_threshold a string": lambda b: _with_key(
            b, "cache", "pack_threshold", '"1MB"'
        ).encode(),
        "core not a table": lambda b: ("core = 5\n" + b).encode(),
        "remote url an integer": lambda b: _with_key(b, "remote.origin", "url", "5").encode(),
        "3000 nested arrays": lambda b: (b + "deep = " + "[" * 3000 + "]" * 3000 + "\n").encode(),
    }


CONFIG_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("fsck",),
    ("status",),
    ("push",),
    ("snapshot", "data"),
)


def bad_config(world: World, row: Row, trials: int) -> None:
    pushed = pushed_quickstart(world)
    place = sandbox(world, pushed, "bad-config")
    config = place.project / ".repro" / "config.toml"
    local = place.project / ".repro" / "config.local.toml"
    # The remote in the committed file, so a bad local file is on its own.
    config.write_text(config.read_text().replace(str(pushed.remote), str(place.remote)))
    local.unlink()
    sound = {config: config.read_bytes()}
    variants = _config_variants()
    cases = len(variants) * 2
    per_case = max(1, min(len(CONFIG_COMMANDS), math.ceil(trials / cases)))
    commands = CONFIG_COMMANDS[:per_case]
    for args in commands:
        must_ok = repro(place.project, *args)
        if not must_ok.ok:
            raise RuntimeError(f"with a sound config, {' '.join(args)} fails: {must_ok.brief()}")
    for name, variant in variants.items():
        for target in (config, local):
            text = variant(sound[config].decode() if target == config else "")
            target.write_bytes(text)
            for args in commands:
                check = Check(f"{target.name}: {name} x {' '.join(args)}")
                result = repro(place.project, *args, timeout=60, rss_limit_mib=2048)
                check.clean(result.one_line_refusal(), " ".join(args))
                row.add(check.trial())
            config.write_bytes(sound[config])
            local.unlink(missing_ok=True)
    row.note(
        f"{len(variants)} kinds x 2 files x {len(commands)} commands "
        f"({', '.join(' '.join(c) for c in commands)}); held = exit ≠ 0, one line, no traceback"
    )
