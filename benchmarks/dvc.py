"""``dvc add`` of a folder against repro's stored snapshot of the same folder,
each in a fresh Git repository holding its own copy of the data. DVC runs
once (it is slow); repro best of 3 with its cache and state deleted before
each. Both are also shown against the store floor (read, hash, write and
fsync the same bytes in one process; the read+hash floor is beside it).
DVC comes from its own virtualenv (``.venv-dvc``), never repro's.
Target: repro >= 20x faster.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.common import (
    REPO_ROOT,
    CommandError,
    Context,
    Report,
    best_of,
    fresh_dir,
    note,
    print_table,
    run_command,
    time_command,
)
from benchmarks.datasets import Dataset, copy_tree, dataset, list_files, warm
from benchmarks.floors import measure_floor, measure_store_floor
from benchmarks.projects import new_git_repo, new_repro_project, reset_repro_state

__all__ = ["DvcUnavailableError", "dvc_binary", "run"]

DATASETS = ("medium", "small")
REPRO_RUNS = 3
TARGET = 20.0  # dvc seconds / repro seconds
DVC_VENV = REPO_ROOT / ".venv-dvc"


@dataclass(frozen=True)
class Figures:
    dataset: dict[str, object]
    floor_seconds: list[float]
    store_floor_seconds: list[float]
    dvc_seconds: float
    repro_seconds: list[float]

    @property
    def speedup(self) -> float:
        return self.dvc_seconds / min(self.repro_seconds)


class DvcUnavailableError(RuntimeError):
    pass


def run(ctx: Context) -> Report:
    report = Report("dvc")
    try:
        dvc = dvc_binary()
    except DvcUnavailableError as exc:
        report.skipped = str(exc)
        print(f"\ndvc: SKIPPED ({exc})")
        return report
    version = run_command([dvc, "--version"]).strip()
    report.data["dvc_version"] = version
    rows = []
    for name in DATASETS:
        data = dataset(ctx, name)
        figures = _bench_dataset(ctx, dvc, data)
        report.data[name] = asdict(figures)
        rows.append(_row(data, figures))
        speedup = figures.speedup
        report.check(
            f"dvc add vs repro snapshot, {data.label}",
            f"repro {speedup:.1f}x faster",
            f">= {TARGET:.0f}x faster",
            speedup >= TARGET,
        )
    headers = ["dataset", "hash floor s", "store floor s", "dvc add s", "repro best s"]
    headers += ["repro worst s", "dvc/store floor", "repro/store floor", "repro speedup"]
    print_table(f"dvc {version} add vs repro snapshot (store), fresh repositories", headers, rows)
    return report


def dvc_binary() -> str:
    """``dvc`` from ``.venv-dvc``, installed there when missing; raises
    ``DvcUnavailableError`` when that fails."""
    binary = DVC_VENV / "bin" / "dvc"
    if binary.exists():
        return str(binary)
    note(f"installing dvc into {DVC_VENV} (not into repro's virtualenv)")
    try:
        run_command(["python3", "-m", "venv", str(DVC_VENV)])
        run_command([str(DVC_VENV / "bin" / "pip"), "install", "--quiet", "dvc"])
    except (CommandError, OSError) as exc:
        raise DvcUnavailableError(f"could not install dvc: {exc}") from exc
    if not binary.exists():
        raise DvcUnavailableError(f"pip installed dvc but {binary} is missing")
    return str(binary)


def _dvc_env(site_cache: Path) -> dict[str, str]:
    """No analytics, no update check, and a site cache of DVC's own for this
    repository (its state database must not remember an earlier run)."""
    return {
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(site_cache),
    }


def _bench_dataset(ctx: Context, dvc: str, data: Dataset) -> Figures:
    warm(data.paths())
    note(f"{data.label}: floors")
    floor = measure_floor(data.paths())
    store_floor = measure_store_floor(data.paths(), ctx.work / "dvc-store-floor")
    dvc_seconds = _time_dvc_add(ctx, dvc, data)
    repro_seconds = _time_repro(ctx, data)
    return Figures(data.describe(), floor.os_read, store_floor, dvc_seconds, repro_seconds)


def _time_dvc_add(ctx: Context, dvc: str, data: Dataset) -> float:
    repo = new_git_repo(ctx.work / f"dvc-{data.name}")
    env = _dvc_env(fresh_dir(ctx.work / f"dvc-{data.name}-site-cache"))
    run_command([dvc, "init", "-q"], cwd=repo, env=env)
    run_command([dvc, "config", "core.analytics", "false"], cwd=repo, env=env)
    run_command([dvc, "config", "core.check_update", "false"], cwd=repo, env=env)
    copy_tree(data.path, repo / data.name)
    warm(list_files(repo / data.name))
    os.sync()
    note(f"{data.label}: dvc add (once)")
    seconds, _ = time_command([dvc, "add", "-q", data.name], cwd=repo, env=env)
    shutil.rmtree(repo)
    shutil.rmtree(env["DVC_SITE_CACHE_DIR"])
    return seconds


def _time_repro(ctx: Context, data: Dataset) -> list[float]:
    project = new_repro_project(ctx, ctx.work / f"repro-{data.name}")
    copy_tree(data.path, project / data.name)
    warm(list_files(project / data.name))
    note(f"{data.label}: repro snapshot (best of {REPRO_RUNS})")
    argv = [ctx.repro, "snapshot", data.name]
    seconds = best_of(
        REPRO_RUNS,
        lambda: run_command(argv, cwd=project),
        lambda: reset_repro_state(project),
    )
    shutil.rmtree(project)
    return seconds


def _row(data: Dataset, figures: Figures) -> list[object]:
    floor = min(figures.store_floor_seconds)
    repro = figures.repro_seconds
    return [
        data.label,
        min(figures.floor_seconds),
        floor,
        figures.dvc_seconds,
        min(repro),
        max(repro),
        f"{figures.dvc_seconds / floor:.1f}x",
        f"{min(repro) / floor:.2f}x",
        f"{figures.speedup:.1f}x",
    ]
