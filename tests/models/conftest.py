"""The trained project, run once per test session (the first test process
makes it, the others wait for it) and copied per test."""

from __future__ import annotations

import fcntl
import json
from dataclasses import asdict
from pathlib import Path

import pytest
from models_testing import Trained, make_trained

from repro.project import Project


@pytest.fixture(scope="session")
def trained_template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Trained:
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # the session's, under xdist
    facts = shared / "models-template.json"
    with open(shared / "models-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not facts.exists():
            made = make_trained(shared / "models-template")
            facts.write_text(json.dumps(asdict(made) | {"root": str(made.root)}))
    doc = json.loads(facts.read_text())
    return Trained(**doc | {"root": Path(doc["root"])})


@pytest.fixture
def trained(trained_template: Trained, tmp_path: Path) -> Trained:
    return trained_template.copy(tmp_path / "project")


@pytest.fixture
def trained_project(trained: Trained, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The copy as a Project, with the current folder in it (as for the CLI)."""
    monkeypatch.chdir(trained.root)
    return Project(str(trained.root))
