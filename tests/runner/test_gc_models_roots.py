"""``repro gc`` keeps every run the model registry names: a promotion in
``models.yaml`` is a root, like a lock entry, locally and on the remote.

The team workflow, through the real command in real Git repositories: a
run is pushed and promoted to production; the branch moves on (a rerun
of the same version, then another run) so that no lock pins the promoted
run; a teammate's clone fetches the runs and collects garbage locally and
on the shared folder remote. The production version must still be
credited to the run it was promoted from, and that run must replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pipeline_testing import cli, commit_all, edit, make_flow_project, run_json
from repro_testing import git

MODEL = "scaler"


def _ok(result: Any) -> Any:
    assert result.code == 0, result
    return result


def _origin(root: Path, remote: Path) -> Path:
    """The flow project, registering ``transform``'s output as a model,
    with a folder remote as its default (committed, as a team shares it)."""
    make_flow_project(root, commit=False)
    edit(root / "flow.py", "from repro import Dataset,", "from repro import Dataset, Model,")
    edit(
        root / "flow.py",
        "@pipeline\n",
        f'@pipeline(model=Model(name="{MODEL}", step="transform"))\n',
    )
    config = root / ".repro/config.toml"
    text = config.read_text().replace("[core]\n", '[core]\nremote = "origin"\n')
    config.write_text(f'{text}\n[remote.origin]\nurl = "{remote}"\n')
    commit_all(root, "flow project with a model and a remote")
    return root


def _run_commit_push(root: Path, factor: int) -> str:
    run: str = run_json(root, "-p", f"factor={factor}")["run"]
    commit_all(root, f"lock: factor {factor}")
    _ok(cli(root, "push", run))
    return run


def _production(root: Path) -> dict[str, Any]:
    shown: dict[str, Any] = _ok(cli(root, "models", "show", f"{MODEL}@production", "--json")).json()
    return shown


@pytest.fixture
def team(tmp_path: Path) -> dict[str, Any]:
    """Alice's repository after the promotion and two more runs, and the
    teammate's clone that has fetched every run."""
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    _origin(origin, tmp_path / "remote")
    promoted = _run_commit_push(origin, 3)
    version = run_json(origin, "-p", "factor=3")  # the same run again: nothing recorded
    assert version["run"] == promoted
    record = _ok(cli(origin, "runs", "show", promoted, "--json")).json()
    oid = record["models"][0]["version"]
    _ok(cli(origin, "models", "promote", MODEL, oid, "--alias", "production", "--commit"))
    other = _run_commit_push(origin, 5)
    rerun = _run_commit_push(origin, 3)  # every step cached: the same version, a new run
    assert len({promoted, other, rerun}) == 3
    lock = (origin / "repro.lock").read_text()
    assert promoted not in lock and rerun in lock  # no branch pins the promoted run
    clone = tmp_path / "teammate"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    _ok(cli(clone, "fetch", promoted, other, rerun))
    shown = _production(clone)
    assert (shown["version"], shown["run"]) == (oid, promoted)
    return {"clone": clone, "promoted": promoted, "rerun": rerun, "other": other, "version": oid}


def test_gc_keeps_the_promoted_run_locally_and_on_the_remote(team: dict[str, Any]) -> None:
    clone, promoted = team["clone"], team["promoted"]
    dry = _ok(cli(clone, "gc", "--remote", "--dry-run", "--grace", "0", "--json")).json()
    assert promoted not in dry["forgotten_runs"] + dry["remote_forgotten_runs"]
    assert promoted in dry["kept_runs"]
    local = _ok(cli(clone, "gc", "--grace", "0", "--json")).json()
    assert promoted not in local["forgotten_runs"]
    assert team["other"] in local["forgotten_runs"]  # gc still collects what nothing names
    remote = _ok(cli(clone, "gc", "--remote", "--grace", "0", "--json")).json()
    assert promoted not in remote["remote_forgotten_runs"]
    assert team["other"] in remote["remote_forgotten_runs"]
    shown = _production(clone)
    assert (shown["version"], shown["run"]) == (team["version"], promoted)
    replay = _ok(cli(clone, "replay", promoted, "--verify", "--json")).json()
    assert replay["verdict"] == "identical"


def test_a_clone_that_never_fetched_the_run_keeps_it_on_the_remote(
    team: dict[str, Any], tmp_path: Path
) -> None:
    """The promoted run's record is known only from the remote's listing."""
    promoted = team["promoted"]
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(team["clone"]), str(fresh))
    collected = _ok(cli(fresh, "gc", "--remote", "--grace", "0", "--json")).json()
    assert promoted not in collected["remote_forgotten_runs"]
    assert team["other"] in collected["remote_forgotten_runs"]
    assert collected["remote"]["removed"] > 0
    replay = _ok(cli(fresh, "replay", promoted, "--verify", "--json")).json()
    assert replay["verdict"] == "identical"
    shown = _production(fresh)
    assert (shown["version"], shown["run"]) == (team["version"], promoted)


def test_with_all_commits_a_promotion_only_history_names_keeps_its_run(
    team: dict[str, Any],
) -> None:
    """A run no lock ever pinned, promoted and then dropped from
    models.yaml, is kept with ``--all-commits``, as an old lock's run is."""
    clone = team["clone"]
    staged = run_json(clone, "-p", "factor=7")["run"]
    git(clone, "checkout", "-q", "--", "repro.lock")  # never committed
    record = _ok(cli(clone, "runs", "show", staged, "--json")).json()
    oid = record["models"][0]["version"]
    _ok(cli(clone, "models", "promote", MODEL, oid, "--alias", "staging", "--commit"))
    (clone / "models.yaml").unlink()
    commit_all(clone, "models: no aliases any more")
    every = _ok(cli(clone, "gc", "--all-commits", "--dry-run", "--grace", "0", "--json")).json()
    assert staged in every["kept_runs"] and staged not in every["forgotten_runs"]
    plain = _ok(cli(clone, "gc", "--dry-run", "--grace", "0", "--json")).json()
    assert staged in plain["forgotten_runs"]
