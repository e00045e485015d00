"""Bad luck: ``kill -9`` of ``repro run``, ``repro snapshot`` and ``repro
push`` (folder and S3 remotes) at a random moment, then the checks a user
would make: the store is sound, the lock is valid, the next command
completes, and what it made replays (or pulls) identical."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.campaign.proc import Proc, Result, repro, start_repro
from benchmarks.campaign.report import Check, Row
from benchmarks.campaign.world import (
    ALGORITHM,
    World,
    add_remote,
    bulk_project,
    clone,
    commit_all,
    folder_state,
    locked_run,
    make_tree_files,
    must,
    quickstart_project,
)

__all__ = [
    "kill_at",
    "kill_push_folder",
    "kill_push_s3",
    "kill_run",
    "kill_snapshot",
    "run_id_of",
]


def run_id_of(result: Result) -> str | None:
    """The run id ``repro run --json`` printed (one pipeline)."""
    try:
        doc: Any = json.loads(result.out)
    except ValueError:
        return None
    if isinstance(doc, list):
        doc = doc[0] if doc else {}
    run = doc.get("run") if isinstance(doc, dict) else None
    return str(run) if run else None


def kill_at(proc: Proc, delay: float, after: Callable[[], bool] | None = None) -> bool:
    """``kill -9`` ``proc`` ``delay`` seconds after it started or, with
    ``after``, ``delay`` seconds after ``after()`` first held (so that the
    moment falls in the work, whatever the machine's load does to the
    start-up); False when it had already ended by itself."""
    since = proc.started
    while after is not None and proc.running():
        if after():
            since = time.monotonic()
            break
        time.sleep(0.003)
    while proc.running():
        if time.monotonic() - since >= delay:
            proc.kill9()
            return True
        time.sleep(0.003)
    return False


def _delays(
    world: World, n: int, duration: float, low: float = 0.05, high: float = 0.95
) -> list[float]:
    """One kill moment per trial, spread evenly over the run (stratified),
    shuffled so that the order of trials says nothing about the moment."""
    span = high - low
    moments = [duration * (low + span * (i + world.rng.random()) / n) for i in range(n)]
    world.rng.shuffle(moments)
    return moments


# kill -9 of repro run


def kill_run(world: World, row: Row, trials: int) -> None:
    project = quickstart_project(world.fresh("kill-run") / "quickstart")
    runs = project / ".repro" / "runs"
    must(repro(project, "run", "-p", "n_estimators=50"), "the first run")
    # The second, warm, run is timed: start-up (imports, planning) until its
    # spec is written, then the steps.
    proc = start_repro(project, "run", "-p", "n_estimators=55", "--no-cache")
    planned = None
    while proc.running():
        if planned is None and any(p.suffix == ".spec" for p in runs.iterdir()):
            planned = time.monotonic() - proc.started
        time.sleep(0.003)
    done = must(proc.wait(), "the second run")
    duration = done.seconds
    planned = planned if planned is not None else duration / 2
    commit_all(project, "lock")
    # One trial in four at any moment of the whole run; the rest after the
    # run is planned, over its steps and records.
    whole = _delays(world, trials, duration)
    work = _delays(world, trials, duration - planned, 0.0, 0.95)
    mid_step = started = early = 0
    for i in range(trials):
        anywhere = i % 4 == 0
        delay = whole[i] if anywhere else work[i]
        when = f"{delay:.2f}s" + ("" if anywhere else " after planning")
        check = Check(f"trial {i + 1} (kill at {when})")
        args = ["run", "-p", f"n_estimators={60 + 7 * i}"]
        if i % 2:
            args.append("--no-cache")  # every step executes: more of the run to hit
        before = set(os.listdir(runs))

        def spec_written(before: set[str] = before) -> bool:
            return any(n.endswith(".spec") for n in set(os.listdir(runs)) - before)

        proc = start_repro(project, *args)
        killed = kill_at(proc, delay, None if anywhere else spec_written)
        new = set(os.listdir(runs)) - before
        proc.wait()
        proc.stragglers()
        early += not killed
        started += killed and any(name.endswith(".spec") for name in new)
        mid_step += killed and any(name.endswith(".journal") for name in new)
        _after_kill_checks(project, check, args[:3])
        row.add(check.trial())
    row.note(
        f"a {duration:.1f}s run, planned at {planned:.1f}s; 1 kill in 4 at any moment, the "
        f"rest after planning: {started} hit a planned run (spec written), {mid_step} of them "
        f"after a step had finished (journal), {early} ended before the kill"
    )


def _after_kill_checks(project: Path, check: Check, args: list[str]) -> None:
    fsck = repro(project, "fsck")
    check.expect(fsck.ok, f"fsck after the kill: {fsck.brief()}")
    lock = repro(project, "check", "lock")
    check.expect(lock.ok, f"check lock after the kill: {lock.brief()}")
    again = repro(project, *args, "--json")
    if not check.expect(again.ok, f"the next run: {again.brief()}"):
        return
    run = run_id_of(again)
    lock = repro(project, "check", "lock")
    check.expect(lock.ok, f"check lock after the next run: {lock.brief()}")
    check.expect(
        locked_run(project, "quickstart") == run,
        f"repro.lock pins {locked_run(project, 'quickstart')}, not the next run {run}",
    )
    fsck = repro(project, "fsck")
    check.expect(fsck.ok, f"fsck after the next run: {fsck.brief()}")
    if run:
        replay = repro(project, "replay", run, "--verify")
        check.expect(replay.ok, f"replay --verify {run}: {replay.brief()}")


# kill -9 of repro snapshot


def kill_snapshot(world: World, row: Row, trials: int, files: int, mib: int) -> None:
    project = world.fresh("kill-snapshot") / "p"
    project.mkdir()
    (project / ".gitignore").write_text("/big/\n")
    from benchmarks.campaign.proc import git

    git(project, "init", "-q", "-b", "main")
    must(repro(project, "init"), "repro init")
    made = time.monotonic()
    make_tree_files(project / "big", files=files, mib=mib)
    made = time.monotonic() - made
    reference = _tree_of(must(repro(project, "snapshot", "big", "--no-store", "--json"), "hash"))
    _wipe_cache(project)
    began = time.monotonic()
    must(repro(project, "snapshot", "big", "--json"), "a first snapshot")
    duration = time.monotonic() - began
    early = twice = 0
    straggled: list[float] = []
    delays = _delays(world, trials, duration)
    for i, delay in enumerate(delays):
        check = Check(f"trial {i + 1} (kill at {delay:.2f}s)")
        _wipe_cache(project)
        proc = start_repro(project, "snapshot", "big", "--json")
        early += not kill_at(proc, delay)
        proc.wait()
        straggled.append(proc.stragglers())
        if i % 2:
            # Killed again while resuming on top of what the first one left.
            twice += 1
            proc = start_repro(project, "snapshot", "big", "--json")
            kill_at(proc, delays[(i + 1) % len(delays)] / 2)
            proc.wait()
            straggled.append(proc.stragglers())
        fsck = repro(project, "fsck")
        check.expect(fsck.ok, f"fsck after the kill: {fsck.brief()}")
        done = repro(project, "snapshot", "big", "--json")
        if check.expect(done.ok, f"the next snapshot: {done.brief()}"):
            tree = _tree_of(done)
            check.expect(tree == reference, f"the next snapshot gave tree {tree}, not {reference}")
        fsck = repro(project, "fsck")
        check.expect(fsck.ok, f"fsck after the next snapshot: {fsck.brief()}")
        row.add(check.trial())
    row.note(
        f"{files} files, {mib} MiB (made in {made:.0f}s); a whole snapshot {duration:.1f}s; "
        f"{twice} trials killed twice (again while resuming); {early} ended before the kill; "
        f"workers outlived a killed parent by up to {max(straggled, default=0):.1f}s"
    )


def _tree_of(result: Result) -> str | None:
    try:
        return str(json.loads(result.out)["tree"])
    except (ValueError, KeyError, TypeError):
        return None


def _wipe_cache(project: Path) -> None:
    shutil.rmtree(project / ".repro" / "cache", ignore_errors=True)
    for state in (project / ".repro" / "tmp").glob("state.db*"):
        state.unlink()


# kill -9 of repro push


def kill_push_folder(world: World, row: Row, trials: int, files: int, mib: int) -> None:
    base = world.fresh("kill-push-folder")
    _kill_push(world, row, trials, base, files, mib, s3=False)


def kill_push_s3(world: World, row: Row, trials: int, files: int, mib: int) -> None:
    base = world.fresh("kill-push-s3")
    _kill_push(world, row, trials, base, files, mib, s3=True)


class _Target:
    """Where one trial pushes: a fresh folder or bucket."""

    def __init__(self, world: World, base: Path, s3: bool, n: int) -> None:
        self.world = world
        self.s3 = s3
        if s3:
            server = world.s3_server()
            self.bucket = server.new_bucket()
            self.url = f"s3://{self.bucket}/repro"
            self.endpoint: str | None = server.endpoint
        else:
            # The folder exists, as a share mounted for the team would.
            self.folder = base / f"remote-{n}"
            self.folder.mkdir()
            self.url = str(self.folder)
            self.endpoint = None

    def any(self) -> bool:
        """Has anything reached the remote yet? (One cheap request.)"""
        if self.s3:
            assert self.world.s3 is not None
            return self.world.s3.any_key(self.bucket)
        root = self.folder / ALGORITHM
        return root.exists() and any(p.is_file() for p in root.rglob("*"))

    def files(self) -> dict[str, int]:
        if self.s3:
            assert self.world.s3 is not None
            return {
                k.removeprefix("repro/" + ALGORITHM + "/"): v
                for k, v in self.world.s3.keys(self.bucket).items()
            }
        root = self.folder / ALGORITHM
        if not root.exists():
            return {}
        return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def _point(project: Path, config: str, target: _Target) -> None:
    (project / ".repro" / "config.toml").write_text(config)
    add_remote(project, target.url, endpoint=target.endpoint)


def _kill_push(
    world: World, row: Row, trials: int, base: Path, files: int, mib: int, *, s3: bool
) -> None:
    origin = bulk_project(base / "origin", files=files, mib=mib)
    config = (origin / ".repro" / "config.toml").read_text()
    ran = must(repro(origin, "run", "--json"), "the bulk run")
    run = run_id_of(ran)
    commit_all(origin, "lock")
    target = _Target(world, base, s3, 0)
    _point(origin, config, target)
    # When the first file reaches the remote, and when the push ends: the
    # kills are spread between the two, where the transfer is.
    proc = start_repro(origin, "push")
    first = None
    while proc.running():
        if first is None and target.any():
            first = time.monotonic() - proc.started
        time.sleep(0.005)
    must(proc.wait(), "a first push")
    duration = proc.result.seconds if proc.result else 1.0
    first = first if first is not None else duration / 2
    partial = early = 0
    # Each kill comes after the trial's first file reached the remote, at a
    # moment spread over the rest of the transfer.
    delays = _delays(world, trials, duration - first, 0.0, 0.95)
    listed_kills = 0
    for i, delay in enumerate(delays):
        check = Check(f"trial {i + 1} (kill {delay:.2f}s after the first file)")
        target = _Target(world, base, s3, i + 1)
        _point(origin, config, target)
        proc = start_repro(origin, "push")
        early += not kill_at(proc, delay, target.any)
        proc.wait()
        proc.stragglers()
        if i % 2:  # killed again while pushing on top of what the first left
            proc = start_repro(origin, "push")
            kill_at(proc, first + delays[(i + 1) % len(delays)] / 2)
            proc.wait()
            proc.stragglers()
        left = target.files()
        listed = f"runs/{run}" in left
        partial += bool(left) and not listed
        listed_kills += listed
        fsck = repro(origin, "fsck", "--remote")
        check.expect(fsck.ok, f"fsck --remote after the kill: {fsck.brief()}")
        again = repro(origin, "push")
        check.expect(again.ok, f"the next push: {again.brief()}")
        fsck = repro(origin, "fsck", "--remote")
        check.expect(fsck.ok, f"fsck --remote after the next push: {fsck.brief()}")
        check.expect(f"runs/{run}" in target.files(), f"run {run} not listed after the re-push")
        if i % 8 == 7 or i == trials - 1:
            _pull_matches(origin, base / f"clone-{i + 1}", check)
        row.add(check.trial())
    row.note(
        f"{files} files, {mib} MiB; a whole push {duration:.1f}s, the first file there at "
        f"{first:.1f}s; kills spread over the transfer, after the trial's first file landed; "
        f"every other trial killed twice; {partial} left "
        f"a partial remote (objects, run not listed), {listed_kills} a complete one, {early} "
        "ended before the kill; a fresh clone pulled every 8th"
    )


def _pull_matches(origin: Path, dest: Path, check: Check) -> None:
    copy = clone(origin, dest)
    # The clone's committed config names the first remote: point it where
    # the origin pushed last (config.local.toml overrides, uncommitted).
    shutil.copy(origin / ".repro" / "config.toml", copy / ".repro" / "config.local.toml")
    pulled = repro(copy, "pull")
    if check.expect(pulled.ok, f"pull in a fresh clone: {pulled.brief()}"):
        same = folder_state(origin / "data", modes=False) == folder_state(
            copy / "data", modes=False
        )
        check.expect(same, "the pulled data/ differs from the origin's")
