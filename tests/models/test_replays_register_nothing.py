"""A replay re-makes results its original recorded: it registers no model
version (unless given --register) and is never a pipeline's latest run."""

from __future__ import annotations

from typing import Any

from models_testing import Trained
from pipeline_testing import cli


def versions(trained: Trained) -> list[dict[str, Any]]:
    listed = cli(trained.root, "models", "list", "--json")
    assert listed.code == 0, listed
    return list(listed.json())


def replay(trained: Trained, run: str, *flags: str) -> str:
    done = cli(trained.root, "replay", run, "--verify", "--json", *flags)
    assert done.code == 0, done
    return str(done.json()["run"])


def test_a_replay_registers_no_version_and_is_not_latest(trained: Trained) -> None:
    before = versions(trained)
    replayed = replay(trained, trained.first_run)
    assert trained.record(replayed)["models"] == []
    assert versions(trained) == before
    # `metrics show` reads the latest run of each pipeline: the rerun, not the replay.
    shown = cli(trained.root, "metrics", "show", "--json")
    assert shown.code == 0, shown
    runs = {entry["run"] for entry in shown.json()}
    assert replayed not in runs
    assert trained.rerun in runs


def test_register_makes_a_replay_record_its_version(trained: Trained) -> None:
    replayed = replay(trained, trained.second_run, "--register")
    assert trained.record(replayed)["models"] == trained.record(trained.second_run)["models"]
    line = next(v for v in versions(trained) if v["version"] == trained.version(trained.second_run))
    assert replayed in line["runs"]
