"""One line's worth of a run: what ``runs list`` shows and ``runs compare``
heads its columns with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from repro.lineage.records import RunRecord
from repro.lineage.runs import KilledRun

__all__ = ["RunSummary"]


@dataclass(frozen=True)
class RunSummary:
    id: str
    pipeline: str
    status: str
    commit: str | None
    dirty: bool
    created: str
    replay_of: str | None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, record: RunRecord) -> RunSummary:
        return cls(
            id=record.id,
            pipeline=record.pipeline,
            status=record.status,
            commit=record.git.commit,
            dirty=record.git.dirty,
            created=record.created,
            replay_of=record.replay_of,
            tags=dict(record.tags),
        )

    @classmethod
    def of_killed(cls, run: KilledRun) -> RunSummary:
        """A run killed before its record: interrupted, what its record
        would have said beyond its pipeline unknown."""
        return cls(
            id=run.id,
            pipeline=run.pipeline or "-",
            status="interrupted",
            commit=None,
            dirty=False,
            created=run.created,
            replay_of=None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pipeline": self.pipeline,
            "status": self.status,
            "commit": self.commit,
            "dirty": self.dirty,
            "created": self.created,
            "replay_of": self.replay_of,
            "tags": dict(self.tags),
        }
