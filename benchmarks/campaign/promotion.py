"""The team workflow of issue 19: a model goes to production by a
committed models.yaml, the branch moves on so that no lock pins its run
any more, a teammate collects garbage locally and on the remote; the
production version's run must still show, its model bytes still come out,
and it must still replay identical."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.campaign.crash import run_id_of
from benchmarks.campaign.proc import Result, repro
from benchmarks.campaign.report import Check, Row
from benchmarks.campaign.world import (
    World,
    add_remote,
    clone,
    commit_all,
    must,
    quickstart_project,
)

__all__ = ["gc_after_promotion"]


def gc_after_promotion(world: World, row: Row, trials: int) -> None:
    base = world.fresh("gc-promotion")
    remote = base / "remote"
    remote.mkdir()
    origin = quickstart_project(base / "origin")
    add_remote(origin, str(remote))
    commit_all(origin, "remote")
    promoted = run_id_of(must(repro(origin, "run", "--json"), "the first run"))
    commit_all(origin, "lock")
    must(repro(origin, "push"), "push")
    versions: list[dict[str, Any]] = json.loads(
        must(repro(origin, "models", "list", "--json"), "models list").out
    )
    version = next(v["version"] for v in versions if v.get("run") == promoted)
    must(
        repro(
            origin, "models", "promote", "my_model", version, "--alias", "production", "--commit"
        ),
        "promote",
    )
    # The branch moves on: another model, and the lock pins its run only.
    later = run_id_of(must(repro(origin, "run", "--json", "-p", "n_estimators=150"), "next run"))
    commit_all(origin, "retrain")
    must(repro(origin, "push"), "push the retraining")
    assert promoted and later

    teammate = clone(origin, base / "teammate")
    must(repro(teammate, "fetch", promoted, later), "the teammate fetches both runs")
    collected = repro(teammate, "gc", "--grace", "0")
    check = Check("local gc in a teammate's clone")
    check.expect(collected.ok, f"gc: {collected.brief()}")
    shown = repro(teammate, "runs", "show", promoted)
    check.expect(shown.ok, f"the production run is gone here: {shown.brief()}")
    _still_production(teammate, promoted, version, check, base / "model-1")
    row.add(check.trial())

    check = Check("gc --remote, then a fresh clone")
    collected = repro(teammate, "gc", "--remote", "--grace", "0")
    check.expect(collected.ok, f"gc --remote: {collected.brief()}")
    fresh = clone(origin, base / "fresh")
    fetched = repro(fresh, "fetch", promoted)
    check.expect(fetched.ok, f"fetch of the production run from the remote: {fetched.brief()}")
    fsck = repro(fresh, "fsck", "--remote")
    check.expect(fsck.ok, f"fsck --remote: {fsck.brief()}")
    _still_production(fresh, promoted, version, check, base / "model-2")
    row.add(check.trial())
    row.note(
        "promote --commit, retrain (-p n_estimators=150: another model) and commit, push; "
        "a teammate fetches both runs, gc --grace 0, then gc --remote --grace 0; the "
        "production run must show, `models show/get my_model@production` name and give its "
        "version, and it must replay --verify (locally, then in a fresh clone)"
    )


def _still_production(project: Path, run: str, version: str, check: Check, out: Path) -> None:
    shown = repro(project, "models", "show", "my_model@production", "--json")
    if check.expect(shown.ok, f"models show my_model@production: {shown.brief()}"):
        doc = _json(shown)
        check.expect(
            doc.get("version") == version and doc.get("executed_in") == run,
            f"models show credits version {str(doc.get('version'))[:12]} of run "
            f"{doc.get('executed_in')}, not {version[:12]} of {run}",
        )
    got = repro(project, "models", "get", "my_model@production", "-o", str(out))
    check.expect(got.ok, f"models get my_model@production: {got.brief()}")
    replay = repro(project, "replay", run, "--verify")
    check.expect(replay.ok, f"replay --verify of the production run {run}: {replay.brief()}")


def _json(result: Result) -> dict[str, Any]:
    try:
        doc = json.loads(result.out)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
