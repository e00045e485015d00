"""Snapshot hashing throughput against the raw read+hash floor.

For each dataset: the floor (one process, pre-listed files), repro hashing
alone (API with a cold stat cache, CLI with its state db deleted), and
repro storing too (API with an empty cache, CLI in a project whose cache and
state are deleted). Best of 3 each. Target: hashing alone >= 0.8x floor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    Context,
    Report,
    best_of,
    fresh_dir,
    mb_per_s,
    note,
    print_table,
    run_command,
)
from benchmarks.datasets import Dataset, dataset, human_size, warm
from benchmarks.floors import Floor, measure_floor
from benchmarks.projects import new_repro_project, reset_repro_state
from repro.snapshot import StatCache, snapshot
from repro.store import ObjectStore, open_backend

__all__ = ["run"]

DATASETS = ("large", "medium", "small")
ALGORITHM = "xxh3-128"
RUNS = 3
TARGET = 0.8  # hashing alone, as a fraction of the floor's throughput


@dataclass(frozen=True)
class Case:
    key: str
    action: Callable[[], object]
    prepare: Callable[[], object]


def run(ctx: Context) -> Report:
    report = Report("hashing")
    project = new_repro_project(ctx, ctx.work / "hashing-project")
    overview = []
    for name in DATASETS:
        data = dataset(ctx, name)
        figures = _bench_dataset(ctx, data, project)
        report.data[name] = figures
        overview.append(_overview_row(data, figures))
        _check(report, data, figures)
    print_table(
        "hashing: throughput as a fraction of the floor (1.00x = floor; higher is faster)",
        ["dataset", "floor MB/s", "API hash", "CLI hash", "API store", "CLI store"],
        overview,
    )
    return report


def _bench_dataset(ctx: Context, data: Dataset, project: Path) -> dict[str, Any]:
    paths = data.paths()
    note(f"{data.label}: warming the page cache")
    warm(paths)
    note(f"{data.label}: floor")
    floor = measure_floor(paths, RUNS)
    seconds: dict[str, list[float]] = {}
    scratch = ctx.work / "hashing-scratch"
    for case in _cases(ctx, data, project, scratch):
        note(f"{data.label}: {_LABELS[case.key]}")
        seconds[case.key] = best_of(RUNS, case.action, case.prepare)
    fresh_dir(scratch)
    reset_repro_state(project)
    _print_dataset(data, floor, seconds)
    return _figures(data, floor, seconds)


def _cases(ctx: Context, data: Dataset, project: Path, scratch: Path) -> list[Case]:
    target = str(data.target)

    def api(store: bool) -> None:
        cache = StatCache(str(scratch / "state.db"), ALGORITHM)
        objects = ObjectStore(open_backend(str(scratch / "cache")), ALGORITHM) if store else None
        result = snapshot(target, algorithm=ALGORITHM, store=objects, stat_cache=cache)
        _expect_hashed(result.hashed, data)

    def cli_hash() -> None:
        out = run_command([ctx.repro, "snapshot", "--no-store", target, "--json"], cwd=project)
        _expect_hashed(json.loads(out)["hashed"], data)

    def cli_store() -> None:
        run_command([ctx.repro, "snapshot", target], cwd=project)

    def clean_scratch() -> None:
        fresh_dir(scratch)

    def clean_project() -> None:
        reset_repro_state(project)

    return [
        Case("api_hash", lambda: api(False), clean_scratch),
        Case("cli_hash", cli_hash, clean_project),
        Case("api_store", lambda: api(True), clean_scratch),
        Case("cli_store", cli_store, clean_project),
    ]


def _expect_hashed(hashed: int, data: Dataset) -> None:
    if hashed != data.files:
        raise RuntimeError(f"expected {data.files} files hashed, repro hashed {hashed}")


_LABELS = {
    "floor": "floor: os.open+fstat+os.read+xxh3 (1 process)",
    "floor_simple": "floor variant: open(p,'rb').read()+xxh3",
    "api_hash": "repro API, hash only (cold stat cache)",
    "cli_hash": "repro CLI --no-store --json (state db deleted)",
    "api_store": "repro API, hash + store (empty cache)",
    "cli_store": "repro CLI, hash + store (fresh project)",
}


def _all_seconds(floor: Floor, seconds: dict[str, list[float]]) -> dict[str, list[float]]:
    return {"floor": floor.os_read, "floor_simple": floor.simple, **seconds}


def _print_dataset(data: Dataset, floor: Floor, seconds: dict[str, list[float]]) -> None:
    rows = []
    for key, runs in _all_seconds(floor, seconds).items():
        best = min(runs)
        rows.append(
            [
                _LABELS[key],
                best,
                max(runs),
                mb_per_s(data.total_bytes, best),
                f"{floor.best / best:.2f}x",
            ]
        )
    title = f"hashing: {data.label} ({human_size(data.total_bytes)}), best of {RUNS}"
    print_table(title, ["what", "best s", "worst s", "MB/s", "vs floor"], rows)


def _figures(data: Dataset, floor: Floor, seconds: dict[str, list[float]]) -> dict[str, Any]:
    runs = _all_seconds(floor, seconds)
    return {
        "dataset": data.describe(),
        "bytes": data.total_bytes,
        "seconds": runs,
        "mb_per_s": {key: mb_per_s(data.total_bytes, min(value)) for key, value in runs.items()},
        "vs_floor": {key: floor.best / min(value) for key, value in runs.items()},
    }


def _overview_row(data: Dataset, figures: dict[str, Any]) -> list[object]:
    ratios = figures["vs_floor"]
    keys = ("api_hash", "cli_hash", "api_store", "cli_store")
    return [data.label, figures["mb_per_s"]["floor"], *(f"{ratios[key]:.2f}x" for key in keys)]


def _check(report: Report, data: Dataset, figures: dict[str, Any]) -> None:
    for key, how in (("api_hash", "API"), ("cli_hash", "CLI")):
        ratio = figures["vs_floor"][key]
        report.check(
            f"hashing alone, {data.label} ({how})",
            f"{ratio:.2f}x floor",
            f">= {TARGET:.1f}x floor",
            ratio >= TARGET,
        )
