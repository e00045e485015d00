"""Fixtures for the drift tests: seeded samples and a real object store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from repro.store import ObjectStore, open_backend


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.fixture
def reference(rng: np.random.Generator) -> pd.DataFrame:
    """500 rows: a standard normal, a city among three, a flag."""
    return pd.DataFrame(
        {
            "x": rng.normal(0.0, 1.0, 500),
            "city": rng.choice(["paris", "rome", "oslo"], 500),
            "flag": rng.choice([True, False], 500),
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(open_backend(str(tmp_path / "store"), fsync=False), "xxh3-128")
