"""Runs side by side: params, metrics, pins and outputs, and for every step
why its cache key differs from the first run's (code, data, params,
environment, image), read from the fingerprints each record keeps.

Runs of different pipelines may be compared: the comparison says so and
keeps to what they have in common. Files read without being declared are
named too: those the pipeline's modules read at import time (``params.yaml``)
and those a step was seen to open as it ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from repro.errors import UsageError
from repro.experiments.summary import RunSummary
from repro.lineage.records import Fingerprints, RunRecord, StepRecord

__all__ = [
    "COMPONENTS",
    "Comparison",
    "ImportChanges",
    "InvalidComparisonError",
    "KeyDifference",
    "Row",
    "StepComparison",
    "compare_runs",
]

# The parts of a step's cache key, as a difference names them.
COMPONENTS: Final = ("code", "data", "params", "environment", "image")
_LOCAL: Final = "(none: local)"


class InvalidComparisonError(UsageError, ValueError):
    def __init__(self, runs: list[str], reason: str) -> None:
        self.runs, self.reason = runs, reason
        super().__init__(f"cannot compare {', '.join(runs) or 'no runs'}: {reason}")


@dataclass(frozen=True)
class Row:
    """One value (a param, a metric, a pin, an output id) in each run; None
    where a run has none."""

    key: str
    values: tuple[Any, ...]

    @property
    def same(self) -> bool:
        return all(value == self.values[0] for value in self.values[1:])

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "values": list(self.values), "same": self.same}


@dataclass(frozen=True)
class KeyDifference:
    """Why a step's cache key in ``run`` differs from the first run's:
    the components that differ and one reason per change. ``discovered``
    names the files the step read undeclared that differ: they are not in
    the key (it is made before the step runs) but are checked before its
    result is reused, so they make a step run again under the same key."""

    run: str
    components: tuple[str, ...]
    reasons: tuple[str, ...]
    discovered: tuple[str, ...] = ()

    @property
    def same(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "run": self.run,
            "same": self.same,
            "components": list(self.components),
            "reasons": list(self.reasons),
        }
        if self.discovered:
            # Only where there are any, as in run records: a comparison of
            # runs that read nothing undeclared reads as it always did.
            doc["discovered"] = list(self.discovered)
        return doc


@dataclass(frozen=True)
class ImportChanges:
    """The files ``run``'s pipeline read at import time (``params.yaml``)
    that differ from the first run's, one reason each."""

    run: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class StepComparison:
    step: str
    statuses: tuple[str | None, ...]  # one per run; None where the run has no such step
    cache_keys: tuple[str | None, ...]
    differences: tuple[KeyDifference, ...]  # one per run after the first

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "statuses": list(self.statuses),
            "cache_keys": list(self.cache_keys),
            "differences": [difference.to_dict() for difference in self.differences],
        }


@dataclass(frozen=True)
class Comparison:
    runs: tuple[RunSummary, ...]
    pipelines: tuple[str, ...]  # distinct, in the order of the runs
    params: tuple[Row, ...]
    metrics: tuple[Row, ...]
    pins: tuple[Row, ...]
    outputs: tuple[Row, ...]
    steps: tuple[StepComparison, ...]
    imports: tuple[ImportChanges, ...] = ()  # one per run after the first

    @property
    def note(self) -> str | None:
        if len(self.pipelines) < 2:
            return None
        return f"runs of different pipelines: {', '.join(self.pipelines)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [run.to_dict() for run in self.runs],
            "pipelines": list(self.pipelines),
            "note": self.note,
            "params": [row.to_dict() for row in self.params],
            "metrics": [row.to_dict() for row in self.metrics],
            "pins": [row.to_dict() for row in self.pins],
            "outputs": [row.to_dict() for row in self.outputs],
            "steps": [step.to_dict() for step in self.steps],
            "imports": [changes.to_dict() for changes in self.imports],
        }


def compare_runs(records: Sequence[RunRecord]) -> Comparison:
    """Two or more runs side by side; every step's key is explained against
    the first run's. Runs of different pipelines keep to what is common."""
    _check(records)
    pipelines = tuple(dict.fromkeys(record.pipeline for record in records))
    common = len(pipelines) > 1
    return Comparison(
        runs=tuple(RunSummary.of(record) for record in records),
        pipelines=pipelines,
        params=_rows([_run_params(record) for record in records], common),
        metrics=_rows([_run_metrics(record) for record in records], common),
        pins=_rows([_run_pins(record) for record in records], common),
        outputs=_rows([_run_outputs(record) for record in records], common),
        steps=tuple(_compare_step(records, name) for name in _step_names(records, common)),
        imports=tuple(_import_changes(records[0], other) for other in records[1:]),
    )


def _import_changes(base: RunRecord, other: RunRecord) -> ImportChanges:
    return ImportChanges(other.id, tuple(_import_reasons(base.imports, other.imports)))


def _check(records: Sequence[RunRecord]) -> None:
    ids = [record.id for record in records]
    if len(records) < 2:
        raise InvalidComparisonError(ids, "give two runs or more")
    repeated = sorted({run for run in ids if ids.count(run) > 1})
    if repeated:
        raise InvalidComparisonError(ids, f"run {', '.join(repeated)} given more than once")


def _rows(flats: list[dict[str, Any]], common: bool) -> tuple[Row, ...]:
    keys = dict.fromkeys(key for flat in flats for key in flat)
    if common:
        keys = {key: None for key in keys if all(key in flat for flat in flats)}
    return tuple(Row(key, tuple(flat.get(key) for flat in flats)) for key in keys)


def _run_params(record: RunRecord) -> dict[str, Any]:
    # Pipeline params are identifiers: ``STEP.NAME`` cannot collide with one.
    flat = dict(record.params)
    for name, step in record.ordered_steps():
        flat.update({f"{name}.{key}": value for key, value in step.logged_params.items()})
    return flat


def _run_metrics(record: RunRecord) -> dict[str, Any]:
    return {
        f"{name}.{key}": value
        for name, step in record.ordered_steps()
        for key, value in step.metrics.items()
    }


def _run_pins(record: RunRecord) -> dict[str, Any]:
    git, environment = record.git, record.environment
    flat: dict[str, Any] = {"commit": git.commit, "branch": git.branch, "dirty": git.dirty}
    if git.diff is not None:
        flat["diff"] = git.diff
    flat["environment"] = environment.oid
    if environment.image is not None:
        flat["image"] = environment.image
    steps = record.ordered_steps()
    flat.update({f"image.{name}": step.image for name, step in steps if step.image})
    flat.update({f"data.{uri}": snapshot.oid for uri, snapshot in record.inputs.items()})
    return flat


def _run_outputs(record: RunRecord) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, step in record.ordered_steps():
        flat.update({f"{name}.{key}": artifact.oid for key, artifact in step.outputs.items()})
        logged = step.artifacts.items()
        flat.update({f"{name}.artifacts.{key}": artifact.oid for key, artifact in logged})
    return flat


def _step_names(records: Sequence[RunRecord], common: bool) -> list[str]:
    names = dict.fromkeys(name for record in records for name, _ in record.ordered_steps())
    if common:
        return [name for name in names if all(name in record.steps for record in records)]
    return list(names)


def _compare_step(records: Sequence[RunRecord], name: str) -> StepComparison:
    steps = [record.steps.get(name) for record in records]
    base = records[0]
    return StepComparison(
        step=name,
        statuses=tuple(step.status if step else None for step in steps),
        cache_keys=tuple(step.cache_key if step else None for step in steps),
        differences=tuple(_key_difference(base, other, name) for other in records[1:]),
    )


def _key_difference(base: RunRecord, other: RunRecord, name: str) -> KeyDifference:
    missing = _unkeyed(base, name) or _unkeyed(other, name)
    if missing is not None:
        return KeyDifference(other.id, (), (missing,))
    pair = _Pair.of(base, other, name)
    discovered = tuple(_discovered(pair))
    if pair.first.cache_key == pair.then.cache_key:
        return KeyDifference(other.id, (), (), discovered)
    changed = [(part, reasons) for part, why in _EXPLAINERS if (reasons := why(pair))]
    if not changed:
        # The key also covers what a record does not keep apart: the step's
        # declared outputs, its kind and cache settings.
        return KeyDifference(other.id, (), ("the step's definition changed",), discovered)
    return KeyDifference(
        other.id,
        tuple(part for part, _ in changed),
        tuple(reason for _, reasons in changed for reason in reasons),
        discovered,
    )


def _unkeyed(record: RunRecord, name: str) -> str | None:
    """Why the step has no key to compare in ``record``, if it has none."""
    step = record.steps.get(name)
    if step is None:
        return f"no step {name!r} in run {record.id}"
    if step.fingerprints is None:
        return f"no cache key in run {record.id} (step {step.status})"
    return None


@dataclass(frozen=True)
class _Pair:
    """A step in the first run and in another, both with fingerprints."""

    base: RunRecord
    first: StepRecord
    was: Fingerprints
    other: RunRecord
    then: StepRecord
    now: Fingerprints

    @classmethod
    def of(cls, base: RunRecord, other: RunRecord, name: str) -> _Pair:
        first, then = base.steps[name], other.steps[name]
        assert first.fingerprints is not None and then.fingerprints is not None  # see _unkeyed
        return cls(base, first, first.fingerprints, other, then, then.fingerprints)


def _code(pair: _Pair) -> list[str]:
    if pair.was.code == pair.now.code:
        return []
    before, after = pair.first.code_files, pair.then.code_files
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    reasons = [f"code changed ({', '.join(changed)})" if changed else "code changed"]
    if pair.first.command != pair.then.command:
        reasons.append(f"command {pair.first.command!r} -> {pair.then.command!r}")
    return reasons


def _data(pair: _Pair) -> list[str]:
    before, after = pair.was.inputs, pair.now.inputs
    declared = [
        f"input {arg!r} changed ({_source(pair.other, pair.then, after.get(arg))})"
        for arg in sorted(before.keys() | after.keys())
        if before.get(arg) != after.get(arg)
    ]
    # Files the step's modules read at import time are in its key too.
    return declared + _import_reasons(pair.was.imports, pair.now.imports)


def _import_reasons(before: Mapping[str, str | None], after: Mapping[str, str | None]) -> list[str]:
    return [f"import-time input {path} {change}" for path, change in _read_changes(before, after)]


def _discovered(pair: _Pair) -> list[str]:
    changes = _read_changes(pair.was.discovered, pair.now.discovered)
    return [f"input {path} {change} (read by the step, not declared)" for path, change in changes]


_NOT_READ: Final = object()


def _read_changes(
    before: Mapping[str, str | None], after: Mapping[str, str | None]
) -> list[tuple[str, str]]:
    """Each file read in either run whose content differs, and how (a
    content id of None: the file was looked for and absent), in the words
    ``repro status`` uses."""
    changes = []
    for path in sorted(before.keys() | after.keys()):
        then, now = before.get(path, _NOT_READ), after.get(path, _NOT_READ)
        if then != now:
            changes.append((path, _change(then, now)))
    return changes


def _change(then: object, now: object) -> str:
    if then is _NOT_READ:
        return "is new"
    if now is _NOT_READ:
        return "is no longer read"
    if now is None:
        return "was removed"
    return "was added" if then is None else "changed"


def _source(record: RunRecord, step: StepRecord, oid: str | None) -> str:
    """Where an input of ``step`` came from: a dataset or an upstream output."""
    if oid is None:
        return "no longer an input"
    for uri, snapshot in record.inputs.items():
        if snapshot.oid == oid:
            return f"data {uri}"
    for upstream in step.upstream:
        outputs = record.steps[upstream].outputs if upstream in record.steps else {}
        for output, artifact in outputs.items():
            if artifact.oid == oid:
                return f"output {output!r} of step {upstream!r}"
    return f"object {oid}"


def _params(pair: _Pair) -> list[str]:
    before, after = pair.was.params, pair.now.params
    return [
        f"param {key}: {before.get(key, '(none)')!r} -> {after.get(key, '(none)')!r}"
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    ]


def _environment(pair: _Pair) -> list[str]:
    if pair.was.environment == pair.now.environment:
        return []
    was, now = pair.base.environment, pair.other.environment
    changes = [
        f"{name} {was.distributions.get(name, 'absent')} -> {now.distributions.get(name, 'absent')}"
        for name in sorted(was.distributions.keys() | now.distributions.keys())
        if was.distributions.get(name) != now.distributions.get(name)
    ]
    for field in ("python", "platform", "lockfile", "lockfile_oid", "image"):
        if getattr(was, field) != getattr(now, field):
            changes.append(f"{field} {getattr(was, field)} -> {getattr(now, field)}")
    return [f"environment changed ({'; '.join(changes)})" if changes else "environment changed"]


def _image(pair: _Pair) -> list[str]:
    if pair.first.image == pair.then.image:
        return []
    return [f"image {pair.first.image or _LOCAL} -> {pair.then.image or _LOCAL}"]


_EXPLAINERS: Final[tuple[tuple[str, Callable[[_Pair], list[str]]], ...]] = (
    ("code", _code),
    ("data", _data),
    ("params", _params),
    ("environment", _environment),
    ("image", _image),
)
