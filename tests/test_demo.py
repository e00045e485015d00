"""`make demo` from a clean clone: the quickstart runs (5 steps executed,
retraining skipped), runs again (all cached) and its first run replays
bit-identical, there and, after a push, in a fresh clone; a promotion, then
a drift-triggered retrain and the new version's promotion, and the run
report. Where a Docker engine runs, the same pipeline runs and replays in a
container; where none does, that part is one line and the demo succeeds."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "examples" / "quickstart" / "demo.sh"


def run_demo(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "REPRO_DEBUG"}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    done = subprocess.run(
        ["bash", str(DEMO)],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def check_story(out: str, *, replays: int) -> None:
    assert "succeeded (5 executed, 2 skipped)" in out
    assert "up to date, 5 steps cached" in out
    assert out.count("identical  ") == 7 * replays and out.count(": identical") == replays
    assert "pushed 1 run to shared" in out
    assert "model  my_model version" in out
    # The lifecycle: drift found, retraining ran, each version promoted in Git.
    assert "DRIFT (2 of 5 columns drifted" in out
    assert "executed retrain_model" in out
    assert out.count("models: promote my_model") >= 2 or out.count("production") >= 3, out
    _check_report(out)


def test_the_demo_runs_its_docker_part_where_an_engine_runs(base_image: str) -> None:
    out = run_demo()
    assert "Docker part skipped" not in out
    assert "$ repro run --backend docker" in out
    # The first run replayed here and in a fresh clone, then the Docker run in Docker.
    check_story(out, replays=3)


def test_without_an_engine_the_demo_skips_its_docker_part_in_one_line(tmp_path: Path) -> None:
    out = run_demo(DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    skipped = [line for line in out.splitlines() if "Docker part skipped" in line]
    assert skipped == [
        "(Docker part skipped: no engine or no base image; "
        "as root, bash scripts/services.sh docker sets both up)"
    ]
    assert "$ repro run --backend docker" not in out
    check_story(out, replays=2)


def _check_report(out: str) -> None:
    """The retraining run's report, kept after the demo, with its DAG."""
    made = re.search(r"^open (\S+) in a browser", out, flags=re.MULTILINE)
    assert made, out
    report = Path(made.group(1))
    text = report.read_text()
    shutil.rmtree(report.parent)
    assert "<svg" in text and "retrain_model" in text
