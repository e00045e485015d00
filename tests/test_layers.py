"""The layers point one way (DESIGN.md): a module may import only the
layers above it, and ``pipelines`` and ``backends`` never import each other
(a backend receives a serialized spec)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "repro"

# For each package, the repro packages it must never import, at any depth.
FORBIDDEN = {
    "hashing": {
        "store",
        "snapshot",
        "materialize",
        "pipelines",
        "lineage",
        "git",
        "backends",
        "runner",
        "cli",
    },
    "store": {
        "snapshot",
        "materialize",
        "pipelines",
        "lineage",
        "git",
        "backends",
        "runner",
        "cli",
    },
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
    # Images know the Docker engine and pyproject.toml, nothing of runs.
    "images": {
        "store",
        "snapshot",
        "materialize",
        "pipelines",
        "lineage",
        "git",
        "backends",
        "runner",
        "cli",
        "remotes",
    },
    # Argo manifests and the Argo Server: pure, they know nothing of runs.
    "argo": {
        "store",
        "snapshot",
        "materialize",
        "pipelines",
        "lineage",
        "git",
        "backends",
        "runner",
        "cli",
        "remotes",
        "images",
    },
    # Remotes open stores by name from the config: below them only the store.
    "remotes": {
        "snapshot",
        "materialize",
        "pipelines",
        "lineage",
        "git",
        "backends",
        "runner",
        "cli",
    },
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
