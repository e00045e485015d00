"""The no-op fast path: a bare `repro run` whose lock still holds answers
without importing the pipeline, and steps aside whenever anything differs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline_testing import cli, edit, executed, run_json

_PROBE = """
import runpy, sys
sys.argv = ["repro", *sys.argv[1:]]
try:
    runpy.run_module("repro", run_name="__main__")
except SystemExit:
    pass
heavy = ("pandas", "numpy", "sklearn", "pydantic", "typer", "git", "flow")
print("LOADED=" + ",".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def _loaded(root: Path, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], cwd=root, capture_output=True, text=True, check=False
    )
    line = next(line for line in done.stderr.splitlines() if line.startswith("LOADED="))
    return {name for name in line.removeprefix("LOADED=").split(",") if name}


def test_a_no_op_run_imports_neither_the_pipeline_nor_heavy_libraries(flow: Path) -> None:
    run_json(flow)
    assert _loaded(flow, "run") == set()


def test_a_changed_file_takes_the_full_path(flow: Path) -> None:
    run_json(flow)
    edit(flow / "unrelated.py", "return 1", "return 3")
    assert "flow" not in _loaded(flow, "run")  # unrelated.py is not a file the lock pins
    edit(flow / "helpers.py", "value * factor", "value * factor * 1")
    assert "flow" in _loaded(flow, "run")


def test_a_param_back_to_its_default_is_not_a_no_op(flow: Path) -> None:
    run_json(flow, "-p", "factor=5")
    doc = run_json(flow)
    assert doc["status"] == "succeeded"
    assert executed(doc) == {"transform", "total"}


def test_a_new_python_lock_file_changes_the_environment(flow: Path) -> None:
    run_json(flow)
    (flow / "requirements.txt").write_text("pyyaml==6.0.2 --hash=sha256:00\n")
    result = cli(flow, "status", "--json")
    reasons = {s["name"]: s["reasons"] for s in result.json()["steps"]}
    assert reasons["load"][0].startswith("environment changed (lockfile None -> requirements.txt")
    assert executed(run_json(flow)) == {"load", "transform", "total", "describe"}


def test_a_missing_local_record_takes_the_full_path(flow: Path) -> None:
    run = run_json(flow)["run"]
    (flow / ".repro" / "runs" / f"{run}.json").unlink()
    doc = run_json(flow)
    assert doc["status"] == "succeeded" and doc["run"] != run
    assert set(s["status"] for s in doc["steps"]) == {"cached"}


def test_a_hand_edited_lock_is_checked_by_the_full_path(flow: Path) -> None:
    run_json(flow)
    lock = flow / "repro.lock"
    lock.write_text(lock.read_text().replace("factor: 3", "factor: 7", 1))
    result = cli(flow, "run", "--json")
    assert result.code == 0, result
    assert result.json()["status"] == "succeeded"


def test_a_config_module_the_pipeline_reads_is_pinned(flow: Path) -> None:
    (flow / "config.py").write_text("FACTOR = 3\n")
    edit(
        flow / "flow.py",
        "from helpers import scale",
        "from config import FACTOR\nfrom helpers import scale",
    )
    edit(flow / "flow.py", "def flow(factor: int = 3,", "def flow(factor: int = FACTOR,")
    run_json(flow)
    (flow / "config.py").write_text("FACTOR = 4\n")
    assert cli(flow, "run", "--frozen").code == 1
    assert executed(run_json(flow)) == {"transform", "total"}


def test_a_step_that_is_never_cached_makes_every_run_execute_it(flow: Path) -> None:
    edit(flow / "flow.py", "@step\ndef describe(", "@step(cache=False)\ndef describe(")
    run_json(flow)
    doc = run_json(flow)
    assert doc["status"] == "succeeded"
    assert executed(doc) == {"describe"}


def test_explain_says_why_a_step_was_cached(flow: Path) -> None:
    first = run_json(flow)["run"]
    edit(flow / "helpers.py", "value * factor", "value * factor * 1")
    result = cli(flow, "run", "--explain")
    assert f"cached   load (unchanged since run {first})" not in result.out
    assert f"load: unchanged since run {first}" in " ".join(result.out.split("  "))


def test_a_param_equal_in_python_but_not_in_json_is_not_a_no_op(flow: Path) -> None:
    run_json(flow)
    doc = run_json(flow, "-p", "factor=3.0")
    assert doc["status"] == "succeeded"
    assert executed(doc) == {"transform", "total"}


def test_a_value_read_at_import_time_is_in_the_key_and_blocks_the_no_op(flow: Path) -> None:
    (flow / "cfg.json").write_text('{"offset": 1}')
    edit(
        flow / "helpers.py",
        "def scale(",
        'import json\n\nCONFIG = json.load(open("cfg.json"))\n\n\ndef scale(',
    )
    edit(flow / "helpers.py", "return value * factor", 'return value * factor + CONFIG["offset"]')
    edit(flow / "flow.py", "from helpers import scale", "from helpers import CONFIG, scale")
    edit(
        flow / "flow.py",
        "    return [scale(v, factor) for v in values]",
        '    return [scale(v, factor) + CONFIG["offset"] for v in values]',
    )
    run_json(flow)
    (flow / "cfg.json").write_text('{"offset": 2}')
    doc = run_json(flow)
    assert doc["status"] == "succeeded"
    assert "transform" in executed(doc)


def test_a_default_computed_at_import_time_blocks_the_no_op(flow: Path) -> None:
    edit(flow / "flow.py", "import csv", "import csv\nimport os")
    edit(
        flow / "flow.py",
        "def flow(factor: int = 3,",
        'def flow(factor: int = int(os.environ.get("FACTOR", "3")),',
    )
    assert run_json(flow)["status"] == "succeeded"
    result = cli(flow, "run", "--json", env={"FACTOR": "7"})
    assert result.json()["status"] == "succeeded"
    assert executed(result.json()) == {"transform", "total"}
