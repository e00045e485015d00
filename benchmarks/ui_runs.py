"""The pages of ``repro ui`` over 10,000 runs, through Flask's test client:
the runs list (unfiltered, and filtered by a tag one run in ten has), the
page of a run that 3,333 runs replayed, the lineage of an artifact that
every run made and consumed, the models list and a model with a thousand
versions, the snapshot browser on the data every run read, and the metrics
chart. Each page is asked in a fresh process (cold: nothing read yet,
templates not compiled), then again in that process (warm). Budget: the
runs list under 1 s cold and warm (the issue's figure); every page under
1 s warm.

The records are copies of two real ones (a four-step pipeline with a data
folder and a model, run by ``repro run``, and its ``repro replay --verify``)
under fresh, time-ordered ids: one copy in three is a replay of the
original run, one in ten carries the tag, one in ten records a version of
its own of the model, and the pipelines alternate between three names. The
floor, measured in the same run: reading and ``json.loads`` of every
record file.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.common import Context, Report, note, print_table, run_command
from benchmarks.projects import git_commit_all, new_git_repo

if TYPE_CHECKING:
    from repro.lineage.records import RunRecord

__all__ = ["run"]

RUNS = 10_000
ROUNDS = 5
BUDGET_S = 1.0
TAG = ("team", "blue")  # one run in ten has it
PIPELINES = ("flow", "train", "etl")
FLOW = """\
from pathlib import Path

from repro import Dataset, Model, log_metric, log_tags, pipeline, step


@step
def load(folder: Path) -> list:
    return [int(n) for path in sorted(folder.glob("*.txt")) for n in path.read_text().split()]


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


@pipeline(model=Model(name="my_model", step="total"))
def flow(data: Dataset = Dataset("data/"), factor: int = 3) -> None:
    values = load(data)
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
seconds, rows, size = [], 0, 0
for _ in range(2):
    started = time.perf_counter()
    response = client.get(sys.argv[2])
    seconds.append(time.perf_counter() - started)
    assert response.status_code == 200, response.status_code
    text = response.get_data(as_text=True)
    rows, size = text.count('<tr data-run="'), len(text)
print(json.dumps({"cold": seconds[0], "warm": seconds[1], "rows": rows, "bytes": size}))
"""


def run(ctx: Context) -> Report:
    report = Report("ui_runs")
    count = RUNS // ctx.scale
    project, facts = _project(ctx, count)
    note(f"floor: read and json.loads {count:,} records")
    floor = statistics.median(_floor(project) for _ in range(3))
    pages = _pages(facts)
    figures = {}
    for name, path in pages.items():
        note(f"GET {path}: {ROUNDS} fresh processes, cold then warm")
        figures[name] = _page(project, path)
    _check_rows(figures, count)
    _print(count, floor, pages, figures)
    report.data = {"runs": count, "floor_seconds": floor, "paths": pages, "pages": figures}
    for name, result in figures.items():
        for state in ("cold", "warm") if name.startswith("runs") else ("warm",):
            seconds = statistics.median(result[state])
            report.check(
                f"{name} page of {count:,} runs, {state}",
                f"{seconds:.3f} s ({seconds / floor:.2f}x floor)",
                f"< {BUDGET_S:g} s",
                seconds < BUDGET_S,
            )
    return report


def _pages(facts: dict[str, str]) -> dict[str, str]:
    return {
        "runs": "/runs",
        "runs filtered": f"/runs?tag={TAG[0]}%3D{TAG[1]}",
        "run replayed 1/3 of the time": f"/runs/{facts['run']}",
        "artifact": f"/artifacts/{facts['artifact']}",
        "models": "/models",
        "model": "/models/my_model",
        "tree": f"/trees/{facts['tree']}",
        "metrics": "/metrics",
    }


def _project(ctx: Context, count: int) -> tuple[Path, dict[str, str]]:
    """A project whose runs folder holds ``count`` copies of a real run and
    its replay, and the ids the pages are asked about."""
    root = new_git_repo(ctx.work / "ui-runs-project")
    (root / "flow.py").write_text(FLOW)
    (root / "data").mkdir()
    for number in range(3):
        (root / "data" / f"part-{number}.txt").write_text(" ".join(map(str, range(number * 9))))
    run_command([ctx.python, "-m", "repro", "init"], cwd=root)
    git_commit_all(root, "flow")
    repro = [ctx.python, "-m", "repro"]
    run_command([*repro, "run", "flow.py:flow"], cwd=root)
    runs = json.loads(run_command([*repro, "runs", "list", "--json"], cwd=root))
    original = runs[-1]["id"]
    run_command([*repro, "replay", original, "--verify"], cwd=root)
    version = json.loads(run_command([*repro, "models", "list", "--json"], cwd=root))[0]
    promote = ["models", "promote", "my_model", version["version"], "--alias", "production"]
    run_command([*repro, *promote], cwd=root)
    git_commit_all(root, "promote my_model")
    note(f"{count:,} copies of the run and its replay")
    return root, _copies(root, count)


def _copies(root: Path, count: int) -> dict[str, str]:
    """``count`` runs one second apart, ending now, in place of the two real
    ones; the ids of the original, of an artifact and of the data snapshot."""
    from repro.lineage.runs import RunIndex

    index = RunIndex(str(root / ".repro"))
    records = [index.load(run_id) for run_id in index.ids()]
    [original] = [record for record in records if record.replay_of is None]
    [replay] = [record for record in records if record.replay_of is not None]
    for record in records:
        os.unlink(os.path.join(index.folder, record.id + ".json"))
    start = time.time_ns() // 1_000_000 - count * 1000
    first = ""
    for number in range(count):
        copy = _copy(original, replay, number, start + number * 1000, first)
        first = first or copy.id
        index.save(copy)
    return {
        "run": first,
        "artifact": original.steps["load"].outputs["output"].oid,
        "tree": original.inputs["data/"].oid,
    }


def _copy(original: RunRecord, replay: RunRecord, number: int, stamp: int, first: str) -> RunRecord:
    """Copy ``number``: the first is the original run; after it, one in
    three is a replay of the first."""
    from repro.lineage.runs import new_run_id

    replaying = number % 3 == 1
    created = datetime.fromtimestamp(stamp / 1000, UTC).isoformat(timespec="milliseconds")
    update: dict[str, Any] = {
        "id": new_run_id(stamp),
        "created": created,
        "pipeline": PIPELINES[number % len(PIPELINES)],
        "tags": dict([TAG]) if number % 10 == 0 else {},
    }
    if replaying:
        update["replay_of"] = first
    if number % 10 == 5:
        update |= _own_version(original, number)
    return (replay if replaying else original).model_copy(update=update)


def _own_version(record: RunRecord, number: int) -> dict[str, Any]:
    """The fields of a run whose model version is its own (an id that only
    the records know: the pages read no model bytes)."""
    oid = f"{number:032x}"
    step = record.steps["total"]
    output = step.outputs["output"].model_copy(update={"oid": oid})
    steps = {**record.steps, "total": step.model_copy(update={"outputs": {"output": output}})}
    models = [model.model_copy(update={"version": oid}) for model in record.models]
    return {"steps": steps, "models": models}


def _floor(project: Path) -> float:
    folder = project / ".repro" / "runs"
    started = time.perf_counter()
    for name in os.listdir(folder):
        json.loads((folder / name).read_bytes())
    return time.perf_counter() - started


def _page(project: Path, path: str) -> dict[str, Any]:
    figures: dict[str, Any] = {"cold": [], "warm": []}
    for _ in range(ROUNDS):
        out = run_command([sys.executable, "-c", _CLIENT, str(project), path])
        result = json.loads(out)
        figures["cold"].append(result["cold"])
        figures["warm"].append(result["warm"])
        figures["rows"], figures["bytes"] = result["rows"], result["bytes"]
    return figures


def _check_rows(figures: dict[str, dict[str, Any]], count: int) -> None:
    for name, expected in (("runs", min(50, count)), ("runs filtered", min(50, count // 10))):
        rows = figures[name]["rows"]
        assert rows == expected, f"{name}: {rows} rows, not {expected}"


def _print(
    count: int, floor: float, pages: dict[str, str], figures: dict[str, dict[str, Any]]
) -> None:
    rows: list[list[object]] = [
        ["read + json.loads of every record (floor)", "", floor, "", "1.00x", ""]
    ]
    for name, result in figures.items():
        for state in ("cold", "warm"):
            median = statistics.median(result[state])
            size = f"{result['bytes'] / 1000:.0f} kB" if state == "cold" else ""
            label = f"{name} ({pages[name][:40]})" if state == "cold" else ""
            rows.append([label, state, median, max(result[state]), f"{median / floor:.2f}x", size])
    title = f"ui pages over {count:,} runs: median of {ROUNDS} processes (budget {BUDGET_S:g} s)"
    print_table(title, ["page", "", "seconds", "worst", "vs floor", "page size"], rows, left=2)
