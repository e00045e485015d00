"""Two at once: two runs in one project, two snapshots of one tree, gc
while a run runs, two clones pushing to one remote. Each command ends
cleanly (done, or refused in one line), and afterwards the store is sound,
the lock valid and what was made replays."""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.campaign.crash import _tree_of, _wipe_cache, run_id_of
from benchmarks.campaign.proc import git, repro, start_repro
from benchmarks.campaign.report import Check, Row
from benchmarks.campaign.world import (
    World,
    bulk_project,
    clone,
    commit_all,
    local_remote,
    locked_run,
    make_tree_files,
    must,
    quickstart_project,
)

__all__ = ["gc_during_run", "two_clones_push", "two_runs", "two_snapshots"]


def two_runs(world: World, row: Row, trials: int) -> None:
    project = quickstart_project(world.fresh("two-runs") / "quickstart")
    must(repro(project, "run"), "the first run")
    commit_all(project, "lock")
    waited = 0
    for i in range(trials):
        check = Check(f"trial {i + 1}")
        params = [f"n_estimators={70 + 2 * i}", f"n_estimators={71 + 2 * i}"]
        procs = [start_repro(project, "run", "--json", "-p", p) for p in params]
        results = [proc.wait() for proc in procs]
        for proc in procs:
            proc.stragglers()
        made = []
        for param, result in zip(params, results, strict=True):
            check.clean(result.clean(), f"run -p {param}")
            if result.ok:
                made.append(run_id_of(result))
        check.expect(bool(made), "neither run succeeded")
        waited += len(made) == 2
        fsck = repro(project, "fsck")
        check.expect(fsck.ok, f"fsck: {fsck.brief()}")
        lock = repro(project, "check", "lock")
        check.expect(lock.ok, f"check lock: {lock.brief()}")
        pinned = locked_run(project, "quickstart")
        check.expect(pinned in made, f"repro.lock pins {pinned}, none of the runs made {made}")
        for run in made:
            if run:
                shown = repro(project, "runs", "show", run)
                check.expect(shown.ok, f"runs show {run}: {shown.brief()}")
        if pinned in made and pinned:
            replay = repro(project, "replay", pinned, "--verify")
            check.expect(replay.ok, f"replay --verify {pinned}: {replay.brief()}")
        row.add(check.trial())
    row.note(
        f"different params each; both succeeded (one waited for the other) in {waited}; "
        "the pinned run replayed --verify each time"
    )


def two_snapshots(world: World, row: Row, trials: int) -> None:
    project = world.fresh("two-snapshots") / "p"
    project.mkdir()
    (project / ".gitignore").write_text("/big/\n")
    git(project, "init", "-q", "-b", "main")
    must(repro(project, "init"), "repro init")
    files, mib = 2_000, 64
    make_tree_files(project / "big", files=files, mib=mib, seed=23)
    reference = _tree_of(must(repro(project, "snapshot", "big", "--no-store", "--json"), "hash"))
    rehashed = 0
    for i in range(trials):
        check = Check(f"trial {i + 1}")
        _wipe_cache(project)
        first = start_repro(project, "snapshot", "big", "--json")
        if i % 2:
            time.sleep(world.rng.uniform(0.05, 0.4))  # the second starts mid-way
        second = start_repro(project, "snapshot", "big", "--json")
        for name, proc in (("first", first), ("second", second)):
            result = proc.wait()
            proc.stragglers()
            if check.expect(result.ok, f"{name} snapshot: {result.brief()}"):
                tree = _tree_of(result)
                check.expect(tree == reference, f"{name} snapshot gave {tree}, not {reference}")
        fsck = repro(project, "fsck")
        check.expect(fsck.ok, f"fsck: {fsck.brief()}")
        again = repro(project, "snapshot", "big", "--json")
        if check.expect(again.ok, f"a third snapshot: {again.brief()}"):
            check.expect(_tree_of(again) == reference, "a third snapshot gave another tree")
            rehashed += bool(json.loads(again.out).get("hashed"))
        row.add(check.trial())
    row.note(
        f"{files} files, {mib} MiB, cold cache each trial; every other trial the second "
        "started mid-way; both gave the reference tree; a third snapshot after them re-hashed "
        f"files (stat cache not trusted yet) in {rehashed}"
    )


def gc_during_run(world: World, row: Row, trials: int) -> None:
    project = quickstart_project(world.fresh("gc-during-run") / "quickstart")
    must(repro(project, "run"), "the first run")
    commit_all(project, "lock")
    began = time.monotonic()
    must(repro(project, "run", "-p", "n_estimators=40", "--no-cache"), "a timed run")
    duration = time.monotonic() - began
    refused = 0
    for i in range(trials):
        check = Check(f"trial {i + 1}")
        param = f"n_estimators={90 + i}"
        run = start_repro(project, "run", "--json", "-p", param, "--no-cache")
        time.sleep(world.rng.uniform(0.1, 0.8) * duration)
        gc_args = ["gc", "--grace", "0"] + (["--no-wait"] if i % 2 else [])
        gc = start_repro(project, *gc_args)
        ran, collected = run.wait(), gc.wait()
        run.stragglers()
        gc.stragglers()
        check.expect(ran.ok, f"the run: {ran.brief()}")
        check.clean(collected.clean(), " ".join(gc_args))
        refused += not collected.ok
        fsck = repro(project, "fsck")
        check.expect(fsck.ok, f"fsck: {fsck.brief()}")
        lock = repro(project, "check", "lock")
        check.expect(lock.ok, f"check lock: {lock.brief()}")
        made = run_id_of(ran)
        pinned = locked_run(project, "quickstart")
        check.expect(pinned == made, f"repro.lock pins {pinned}, not the run {made}")
        status = repro(project, "status", "-p", param, "--exit-code")
        check.expect(status.ok, f"status: {status.brief()}")
        if made:
            replay = repro(project, "replay", made, "--verify")
            check.expect(replay.ok, f"replay --verify {made}: {replay.brief()}")
        after = repro(project, "gc", "--grace", "0")
        check.expect(after.ok, f"gc after the run: {after.brief()}")
        fsck = repro(project, "fsck")
        check.expect(fsck.ok, f"fsck after gc: {fsck.brief()}")
        if made:  # every output of the pinned run is still stored
            out = project.parent / f"outputs-{i + 1}"
            restored = repro(project, "checkout", made, str(out))
            check.expect(restored.ok, f"checkout {made} after gc: {restored.brief()}")
        row.add(check.trial())
    row.note(
        f"gc --grace 0 started at 10-80% of a {duration:.1f}s run (every other with --no-wait: "
        f"{refused} refused in one line); then gc again, fsck, and "
        "`checkout RUN DIR` (every output of the pinned run still stored)"
    )


def two_clones_push(world: World, row: Row, trials: int) -> None:
    base = world.fresh("two-clones-push")
    origin = bulk_project(base / "origin", files=300, mib=24, data_in_git=True)
    use_s3 = True
    for i in range(trials):
        check = Check(f"trial {i + 1}")
        where = "s3" if (i % 2 and use_s3) else "folder"
        url, endpoint = _remote_for(world, base / f"remote-{i + 1}", where)
        clones = []
        runs = []
        for name in ("a", "b"):
            copy = clone(origin, base / f"t{i + 1}-{name}")
            local_remote(copy, url, endpoint=endpoint)
            ran = must(repro(copy, "run", "--json", "-p", f"salt={i}{name == 'b'}"), "a run")
            clones.append(copy)
            runs.append(run_id_of(ran))
        procs = [start_repro(copy, "push") for copy in clones]
        for proc, name in zip(procs, "ab", strict=True):
            result = proc.wait()
            proc.stragglers()
            check.expect(result.ok, f"push from clone {name}: {result.brief()}")
        fsck = repro(clones[0], "fsck", "--remote")
        check.expect(fsck.ok, f"fsck --remote: {fsck.brief()}")
        third = clone(origin, base / f"t{i + 1}-c")
        local_remote(third, url, endpoint=endpoint)
        fetched = repro(third, "fetch", *[r for r in runs if r])
        if check.expect(fetched.ok, f"fetch of both runs in a third clone: {fetched.brief()}"):
            for run in runs:
                if run:
                    replay = repro(third, "replay", run, "--verify")
                    check.expect(replay.ok, f"replay --verify {run}: {replay.brief()}")
        row.add(check.trial())
    row.note(
        "two fresh clones run (different params) and push at once to one remote (folder, "
        "and S3 every other trial); a third clone fetches both runs and replays each --verify"
    )


def _remote_for(world: World, folder: Path, where: str) -> tuple[str, str | None]:
    if where == "s3":
        server = world.s3_server()
        return f"s3://{server.new_bucket()}/repro", server.endpoint
    folder.mkdir()
    return str(folder), None
