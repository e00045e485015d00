"""The UI writes nothing: every kind of page, read from a copy of the
quickstart, leaves every file of the project as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ui_testing import Quickstart

from repro.lineage.runs import RunIndex
from repro.project import Project
from repro.ui.app import create_app
from repro.ui.routes import route_path


def _state(root: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            found[os.path.relpath(path, root)] = (info.st_size, info.st_mtime_ns)
    return found


def _pages(root: Path, quickstart: Quickstart) -> list[str]:
    record = RunIndex(os.path.join(root, ".repro")).load(quickstart.retrain)
    model = record.models[0]
    snapshot = record.inputs["data/housing.csv"]
    return [
        route_path("runs", {"status": "succeeded", "page": "1"}),
        route_path("run", run=quickstart.retrain),
        route_path("compare", {"run": [quickstart.first, quickstart.retrain]}),
        route_path("metrics"),
        route_path("artifact", oid=model.version),
        route_path("models"),
        route_path("model", name=model.name),
        route_path("tree", oid=snapshot.oid),
        route_path("tree_file", oid=snapshot.oid, path="housing.csv"),
        route_path("object", oid=model.version),
    ]


def test_no_page_writes_to_the_project(ui_quickstart: Quickstart, tmp_path: Path) -> None:
    root = tmp_path / "quickstart"
    shutil.copytree(ui_quickstart.root, root, symlinks=True)
    before = _state(root)
    client = create_app(Project(str(root))).test_client()
    for path in _pages(root, ui_quickstart):
        assert client.get(path).status_code == 200, path
    assert _state(root) == before
