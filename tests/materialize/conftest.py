"""Fixtures for the materializer tests: a real object store on disk, a
registry of the built-ins of its own, and options that check out into
the test's temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from repro.materialize import MaterializeOptions, Registry, builtin_materializers
from repro.store import ObjectStore, open_backend


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(open_backend(str(tmp_path / "store"), fsync=False), "xxh3-128")


@pytest.fixture
def registry() -> Registry:
    """The built-ins in a registry that no other test changes."""
    return Registry(builtin_materializers())


@pytest.fixture
def options(tmp_path: Path) -> MaterializeOptions:
    return MaterializeOptions(workdir=str(tmp_path / "work"))


@pytest.fixture
def pickle_options(tmp_path: Path) -> MaterializeOptions:
    return MaterializeOptions(allow_pickle=True, workdir=str(tmp_path / "work"))
