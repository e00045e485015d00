"""The comparison page: two or more runs side by side (params, metrics, pins,
outputs) and, step by step, why each cache key differs from the first run's,
read from ``repro.experiments.compare``. Given no runs, the page offers the
recent ones to pick from instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from repro.experiments.compare import Comparison, Row, StepComparison, compare_runs
from repro.experiments.summary import RunSummary
from repro.lineage.runs import RunIndex
from repro.views.formats import short_oid
from repro.views.runs_page import RunRow, recent_runs

if TYPE_CHECKING:
    from repro.project import Project

__all__ = [
    "Cell",
    "ComparePage",
    "CompareRow",
    "CompareSection",
    "CompareView",
    "compare_page",
    "compare_view",
]

PICK_FROM: Final = 50  # recent runs offered when none are given
_OID: Final = re.compile(r"^[0-9a-f]{32,}$")
_LINKED_PINS: Final = {"diff": "object"}  # pin key -> page of the object it names

# How a value shows in a cell.
Shown = Callable[[Any], "Cell"]


@dataclass(frozen=True)
class Cell:
    """One value as shown: ``text`` (an id shortened), ``full`` on hover,
    and the page (a route name taking ``oid``) it links to, if any."""

    text: str
    full: str = ""
    page: str | None = None
    missing: bool = False  # the run has no such value


@dataclass(frozen=True)
class CompareRow:
    key: str
    cells: tuple[Cell, ...]  # one per run
    same: bool


@dataclass(frozen=True)
class CompareSection:
    name: str  # params, metrics, pins, outputs: also the table's id suffix
    rows: tuple[CompareRow, ...]

    @property
    def differing(self) -> int:
        return sum(not row.same for row in self.rows)


@dataclass(frozen=True)
class CompareView:
    runs: tuple[RunSummary, ...]
    note: str | None  # when the runs are of different pipelines
    sections: tuple[CompareSection, ...]  # params, metrics, pins, outputs
    steps: tuple[StepComparison, ...]  # each key explained against the first run's

    @property
    def base(self) -> RunSummary:
        """The run every other run's cache keys are explained against."""
        return self.runs[0]

    def section(self, name: str) -> CompareSection:
        return next(section for section in self.sections if section.name == name)


@dataclass(frozen=True)
class ComparePage:
    """A comparison, or (none asked for) the recent runs to pick from."""

    comparison: CompareView | None
    choices: tuple[RunRow, ...] = ()


def compare_page(project: Project, runs: Sequence[str]) -> ComparePage:
    """``runs`` (ids or unique prefixes) side by side; none: the recent runs
    to choose from. One run, or one given twice, is an
    ``InvalidComparisonError``; an unknown one an ``UnknownRunError``."""
    if not runs:
        return ComparePage(None, recent_runs(project, PICK_FROM))
    return ComparePage(compare_view(project, runs))


def compare_view(project: Project, runs: Sequence[str]) -> CompareView:
    index = RunIndex(project.repro_dir)
    records = [index.load(index.resolve(prefix)) for prefix in runs]
    comparison = compare_runs(records)
    return CompareView(
        runs=comparison.runs,
        note=comparison.note,
        sections=_sections(comparison),
        steps=comparison.steps,
    )


def _sections(comparison: Comparison) -> tuple[CompareSection, ...]:
    return (
        CompareSection("params", tuple(_row(row, _plain) for row in comparison.params)),
        CompareSection("metrics", tuple(_row(row, _plain) for row in comparison.metrics)),
        CompareSection("pins", tuple(_row(row, _pin_cell(row.key)) for row in comparison.pins)),
        CompareSection("outputs", tuple(_row(row, _output) for row in comparison.outputs)),
    )


def _row(row: Row, cell: Shown) -> CompareRow:
    return CompareRow(row.key, tuple(cell(value) for value in row.values), row.same)


def _plain(value: Any) -> Cell:
    if value is None:
        return Cell("", missing=True)
    if isinstance(value, float):
        return Cell(f"{value:.6g}", repr(value))
    if isinstance(value, str) and _OID.match(value):
        return Cell(short_oid(value), value)
    if isinstance(value, str):
        return Cell(value, value)
    text = json.dumps(value, sort_keys=True)
    return Cell(text, text)


def _pin_cell(key: str) -> Shown:
    """How the pin ``key`` shows: a data snapshot links to its tree, the
    diff of a dirty run to its object, the rest is text."""
    page = "tree" if key.startswith("data.") else _LINKED_PINS.get(key)
    return _plain if page is None else _linked(page)


def _output(value: Any) -> Cell:
    return _linked("artifact")(value)


def _linked(page: str) -> Shown:
    def cell(value: Any) -> Cell:
        if not isinstance(value, str):
            return _plain(value)
        return Cell(short_oid(value), value, page)

    return cell
