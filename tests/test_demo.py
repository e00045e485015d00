"""`make demo` from a clean clone: the quickstart runs (5 steps executed,
retraining skipped), runs again (all cached) and its first run replays
bit-identical, there and, after a push, in a fresh clone; a promotion, then
a drift-triggered retrain and the new version's promotion."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "examples" / "quickstart" / "demo.sh"


def test_the_quickstart_demo_executes_caches_and_verifies() -> None:
    env = {k: v for k, v in os.environ.items() if k != "REPRO_DEBUG"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", str(DEMO)], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "succeeded (5 executed, 2 skipped)" in out
    assert "up to date, 5 steps cached" in out
    in_docker = "Docker part skipped" not in out
    # CI starts an engine and builds the base image: there the Docker part must run.
    assert in_docker or not os.environ.get("CI"), out
    replays = 3 if in_docker else 2
    assert out.count("identical  ") == 7 * replays and out.count(": identical") == replays
    assert "pushed 1 run to shared" in out
    assert "model  my_model version" in out
    # The lifecycle: drift found, retraining ran, each version promoted in Git.
    assert "DRIFT (2 of 5 columns drifted" in out
    assert "executed retrain_model" in out
    assert out.count("models: promote my_model") >= 2 or out.count("production") >= 3, out
    _check_report(out)


def _check_report(out: str) -> None:
    """The retraining run's report, kept after the demo, with its DAG."""
    made = re.search(r"^open (\S+) in a browser", out, flags=re.MULTILINE)
    assert made, out
    report = Path(made.group(1))
    text = report.read_text()
    shutil.rmtree(report.parent)
    assert "<svg" in text and "retrain_model" in text
