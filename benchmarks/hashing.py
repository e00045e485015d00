"""Snapshot hashing throughput against the raw read+hash floor.

For each dataset: the floor (one process, pre-listed files), repro hashing
alone (API with a cold stat cache, CLI with its state db deleted), and
repro storing too (API with an empty cache, CLI in a project whose cache and
state are deleted), also shown against the store floor (the same reads and
hashes, plus writing the bytes and an fsync). Best of 3 each.
Target: hashing alone >= 0.8x the floor's throughput.
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
from benchmarks.floors import measure_floor, measure_store_floor
from benchmarks.projects import new_repro_project, reset_repro_state
from repro.snapshot import StatCache, snapshot
from repro.store import ObjectStore, open_backend

__all__ = ["run"]

DATASETS = ("large", "medium", "small")
ALGORITHM = "xxh3-128"
RUNS = 3
TARGET = 0.8  # hashing alone, as a fraction of the floor's throughput

_LABELS = {
    "floor": "floor: os.open+fstat+os.read+xxh3 (1 process)",
    "floor_simple": "floor variant: open(p,'rb').read()+xxh3",
    "store_floor": "store floor: read+xxh3+write one file+fsync",
    "api_hash": "repro API, hash only (cold stat cache)",
    "cli_hash": "repro CLI --no-store --json (state db deleted)",
    "api_store": "repro API, hash + store (empty cache)",
    "cli_store": "repro CLI, hash + store (fresh project)",
}


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
    headers = ["dataset", "floor MB/s", "API hash", "CLI hash"]
    headers += ["store floor MB/s", "API store", "CLI store"]
    title = "hashing: throughput as a fraction of its floor (1.00x = floor; higher is faster)"
    print_table(title, headers, overview)
    return report


def _bench_dataset(ctx: Context, data: Dataset, project: Path) -> dict[str, Any]:
    paths = data.paths()
    scratch = ctx.work / "hashing-scratch"
    note(f"{data.label}: warming the page cache")
    warm(paths)
    note(f"{data.label}: floors")
    floor = measure_floor(paths, RUNS)
    seconds = {"floor": floor.os_read, "floor_simple": floor.simple}
    seconds["store_floor"] = measure_store_floor(paths, scratch, RUNS)
    for case in _cases(ctx, data, project, scratch):
        note(f"{data.label}: {_LABELS[case.key]}")
        seconds[case.key] = best_of(RUNS, case.action, case.prepare)
    fresh_dir(scratch)
    reset_repro_state(project)
    figures = _figures(data, seconds)
    _print_dataset(data, figures)
    return figures


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


_STORING = ("store_floor", "api_store", "cli_store")


def _figures(data: Dataset, seconds: dict[str, list[float]]) -> dict[str, Any]:
    floor, store_floor = min(seconds["floor"]), min(seconds["store_floor"])
    return {
        "dataset": data.describe(),
        "bytes": data.total_bytes,
        "seconds": seconds,
        "mb_per_s": {key: mb_per_s(data.total_bytes, min(runs)) for key, runs in seconds.items()},
        "vs_floor": {key: floor / min(runs) for key, runs in seconds.items()},
        "vs_store_floor": {key: store_floor / min(seconds[key]) for key in _STORING},
    }


def _print_dataset(data: Dataset, figures: dict[str, Any]) -> None:
    rows = []
    for key, runs in figures["seconds"].items():
        store = figures["vs_store_floor"].get(key)
        rows.append(
            [
                _LABELS[key],
                min(runs),
                max(runs),
                figures["mb_per_s"][key],
                f"{figures['vs_floor'][key]:.2f}x",
                "" if store is None else f"{store:.2f}x",
            ]
        )
    title = f"hashing: {data.label} ({human_size(data.total_bytes)}), best of {RUNS}"
    headers = ["what", "best s", "worst s", "MB/s", "vs floor", "vs store floor"]
    print_table(title, headers, rows)


def _overview_row(data: Dataset, figures: dict[str, Any]) -> list[object]:
    hashing, storing = figures["vs_floor"], figures["vs_store_floor"]
    return [
        data.label,
        figures["mb_per_s"]["floor"],
        f"{hashing['api_hash']:.2f}x",
        f"{hashing['cli_hash']:.2f}x",
        figures["mb_per_s"]["store_floor"],
        f"{storing['api_store']:.2f}x",
        f"{storing['cli_store']:.2f}x",
    ]


def _check(report: Report, data: Dataset, figures: dict[str, Any]) -> None:
    for key, how in (("api_hash", "API"), ("cli_hash", "CLI")):
        ratio = figures["vs_floor"][key]
        report.check(
            f"hashing alone, {data.label} ({how})",
            f"{ratio:.2f}x floor",
            f">= {TARGET:.1f}x floor",
            ratio >= TARGET,
        )
