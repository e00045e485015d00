"""What the view tests share: a count of the run records a view loads whole,
which shows that a page reads only the runs it shows."""

from __future__ import annotations

import pytest

from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the run records loaded whole (``RunIndex.load``), in order."""
    seen: list[str] = []
    load = RunIndex.load

    def counting(index: RunIndex, run_id: str) -> RunRecord:
        seen.append(run_id)
        return load(index, run_id)

    monkeypatch.setattr(RunIndex, "load", counting)
    return seen
