"""The layers point one way (DESIGN.md): a module may import only the
layers above it, and ``pipelines`` and ``backends`` never import each other
(a backend receives a serialized spec)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "repro"

# The packages that make and keep runs, and the ones around them: a pure
# package (pure data, text or statistics) imports none of them.
RUNS = {"store", "snapshot", "materialize", "pipelines", "lineage", "git", "backends", "runner"}
AROUND = {"cli", "remotes", "images", "argo", "ui", "views"}


def _all_but(*allowed: str) -> set[str]:
    return (RUNS | AROUND) - set(allowed)


# For each package, the repro packages it must never import, at any depth.
FORBIDDEN = {
    "hashing": RUNS | {"cli"},
    "store": (RUNS - {"store"}) | {"cli"},
    "snapshot": {"materialize", "pipelines", "lineage", "git", "backends", "runner", "cli"},
    "materialize": {"pipelines", "lineage", "git", "backends", "runner", "cli"},
    "pipelines": {"lineage", "git", "backends", "runner", "cli"},
    "lineage": {"pipelines", "git", "backends", "runner", "cli"},
    "git": {"materialize", "pipelines", "lineage", "backends", "runner", "cli"},
    "backends": {"pipelines", "runner", "cli"},
    "runner": {"cli"},
    # Git hooks and lock merges are use cases over the runner, below the CLI.
    "githooks": {"cli"},
    "gates": {"cli"},
    # The model registry reads run records and the store; it runs nothing.
    "models": {"pipelines", "backends", "runner", "cli"},
    # Drift detection is statistics over data frames: it knows nothing of
    # stores or runs (the materializer and the CLI call it, not the reverse).
    "drift": _all_but(),
    # Images know the Docker engine and pyproject.toml, nothing of runs.
    "images": _all_but("images", "argo"),
    # Argo manifests and the Argo Server: pure, they know nothing of runs.
    "argo": _all_but("argo"),
    # Tracking queries are pure functions over run records.
    "experiments": _all_but("lineage"),
    # Schedules compile to CI text: nothing of runs, stores or pipelines.
    "schedules": _all_but(),
    # Mirrors copy finished run records (and their model objects) elsewhere;
    # the runner calls them, so they know nothing of how runs are made.
    "mirrors": _all_but("store", "snapshot", "lineage"),
    # What pages and reports show is read from records, the store and the
    # models file; it runs nothing and knows nothing of the web.
    "views": _all_but("views", "store", "snapshot", "materialize", "lineage", "git"),
    # The web app renders views; it runs, plans and executes nothing.
    "ui": {"pipelines", "backends", "runner", "cli", "remotes", "images", "argo"},
    # Remotes open stores by name from the config: below them only the store.
    "remotes": (RUNS - {"store"}) | {"cli"},
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name.split(".")[1] for name in found if name.startswith("repro.") and "." in name}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_only_the_layers_above_it(package: str) -> None:
    offences = {
        f"{path.relative_to(PACKAGE)} imports repro.{name}"
        for path in (PACKAGE / package).rglob("*.py")
        for name in _imports(path) & FORBIDDEN[package]
    }
    assert not offences, sorted(offences)


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from repro.runner.run import run_target\n")
    assert _imports(module) == {"runner"}
