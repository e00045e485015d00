"""The runs list of ``repro ui`` over 10,000 runs: GET /runs through Flask's
test client, unfiltered (the first page) and filtered (by a tag one run in
ten has), each in a fresh process (cold: nothing read yet, templates not
compiled) and then again in that process (warm). Budget: under 1 s each.

The records are copies of one real record (a four-step pipeline run by
``repro run``) under fresh, time-ordered ids; one in ten carries the tag,
the pipelines alternate between three names. The floor, measured in the
same run: reading and ``json.loads`` of the same 10,000 files.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import GIT_IDENTITY, Context, Report, note, print_table, run_command
from benchmarks.projects import new_git_repo

__all__ = ["run"]

RUNS = 10_000
ROUNDS = 5
BUDGET_S = 1.0
TAG = ("team", "blue")  # one run in ten has it
PIPELINES = ("flow", "train", "etl")
FLOW = """\
from repro import log_metric, log_tags, pipeline, step


@step
def load(n: int) -> list:
    return list(range(n))


@step
def scale(values: list, factor: int) -> list:
    return [v * factor for v in values]


@step
def total(values: list) -> float:
    result = float(sum(values))
    log_metric("total", result)
    log_tags(size="small" if result < 1000 else "large")
    return result


@step
def describe(values: list) -> dict:
    return {"count": len(values), "max": max(values)}


@pipeline
def flow(n: int = 10, factor: int = 3) -> None:
    values = load(n)
    total(scale(values, factor=factor))
    describe(values)
"""
# Runs in a fresh interpreter: the app is made untimed, then GET is timed
# twice (cold, then warm) and the figures printed as JSON.
_CLIENT = """\
import json, sys, time
from repro.project import Project
from repro.ui.app import create_app

client = create_app(Project(sys.argv[1])).test_client()
seconds, rows = [], 0
for _ in range(2):
    started = time.perf_counter()
    response = client.get(sys.argv[2])
    seconds.append(time.perf_counter() - started)
    assert response.status_code == 200, response.status_code
    rows = response.get_data(as_text=True).count('<tr data-run="')
print(json.dumps({"cold": seconds[0], "warm": seconds[1], "rows": rows}))
"""
_PAGES = {
    "unfiltered": "/runs",
    "filtered": f"/runs?tag={TAG[0]}%3D{TAG[1]}",
}


def run(ctx: Context) -> Report:
    report = Report("ui_runs")
    count = RUNS // ctx.scale
    project = _project(ctx, count)
    note(f"floor: read and json.loads {count:,} records")
    floor = statistics.median(_floor(project) for _ in range(3))
    figures = {}
    for name, path in _PAGES.items():
        note(f"GET {path}: {ROUNDS} fresh processes, cold then warm")
        figures[name] = _page(project, path, count)
    _print(count, floor, figures)
    report.data = {"runs": count, "floor_seconds": floor, "pages": figures}
    for name, result in figures.items():
        for state in ("cold", "warm"):
            seconds = statistics.median(result[state])
            report.check(
                f"{name} first page of {count:,} runs, {state}",
                f"{seconds:.3f} s ({seconds / floor:.2f}x floor)",
                f"< {BUDGET_S:g} s",
                seconds < BUDGET_S,
            )
    return report


def _project(ctx: Context, count: int) -> Path:
    """A project whose runs folder holds ``count`` copies of one real run."""
    root = new_git_repo(ctx.work / "ui-runs-project")
    (root / "flow.py").write_text(FLOW)
    run_command([ctx.python, "-m", "repro", "init"], cwd=root)
    run_command(["git", *GIT_IDENTITY, "add", "-A"], cwd=root)
    run_command(["git", *GIT_IDENTITY, "commit", "-q", "-m", "flow"], cwd=root)
    run_command([ctx.python, "-m", "repro", "run", "flow.py:flow"], cwd=root)
    note(f"{count:,} copies of the run's record")
    _copies(root, count)
    return root


def _copies(root: Path, count: int) -> None:
    """``count`` runs one second apart, ending now, in place of the one run."""
    from repro.lineage.runs import RunIndex, new_run_id

    index = RunIndex(str(root / ".repro"))
    [original] = index.ids()
    record = index.load(original)
    os.unlink(os.path.join(index.folder, original + ".json"))
    start = time.time_ns() // 1_000_000 - count * 1000
    for number in range(count):
        stamp = start + number * 1000
        created = datetime.fromtimestamp(stamp / 1000, UTC).isoformat(timespec="milliseconds")
        update = {
            "id": new_run_id(stamp),
            "created": created,
            "pipeline": PIPELINES[number % len(PIPELINES)],
            "tags": dict([TAG]) if number % 10 == 0 else {},
        }
        index.save(record.model_copy(update=update))


def _floor(project: Path) -> float:
    folder = project / ".repro" / "runs"
    started = time.perf_counter()
    for name in os.listdir(folder):
        json.loads((folder / name).read_bytes())
    return time.perf_counter() - started


def _page(project: Path, path: str, count: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"cold": [], "warm": []}
    for _ in range(ROUNDS):
        out = run_command([sys.executable, "-c", _CLIENT, str(project), path])
        result = json.loads(out)
        expected = min(50, count if path == "/runs" else count // 10)
        assert result["rows"] == expected, f"{path}: {result['rows']} rows, not {expected}"
        figures["cold"].append(result["cold"])
        figures["warm"].append(result["warm"])
    return figures


def _print(count: int, floor: float, figures: dict[str, dict[str, list[float]]]) -> None:
    rows: list[list[object]] = [["read + json.loads of every record (floor)", floor, "", "1.00x"]]
    for name, result in figures.items():
        for state in ("cold", "warm"):
            median = statistics.median(result[state])
            label = f"GET {_PAGES[name]}, {state}"
            rows.append([label, median, max(result[state]), f"{median / floor:.2f}x"])
    title = f"runs list over {count:,} runs: median of {ROUNDS} processes (budget {BUDGET_S:g} s)"
    print_table(title, ["", "seconds", "worst", "vs floor"], rows)
