"""The quickstart as shipped (pandas, scikit-learn) in Docker: it runs,
its replay in Docker verifies identical, and its output ids are the local
backend's."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline_testing import cli, commit_all, run_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


def test_the_quickstart_runs_and_replays_identical_in_docker(
    git_repo: Path, repro_image: str
) -> None:
    shutil.copytree(EXAMPLE, git_repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("demo.sh"))
    with (git_repo / "pyproject.toml").open("a") as file:
        file.write(f'\n[tool.repro]\nimage = "{repro_image}"\n')
    commit_all(git_repo, "quickstart in docker")

    docker = run_json(git_repo, "--backend", "docker")
    assert docker["status"] == "succeeded"
    replay = cli(git_repo, "replay", docker["run"], "--verify", "--json", timeout=300)
    assert replay.code == 0, replay
    assert replay.json()["verdict"] == "identical"

    local = run_json(git_repo, "--backend", "local", "--no-cache")
    ids = {}
    for run in (docker["run"], local["run"]):
        record = cli(git_repo, "runs", "show", run, "--json").json()
        ids[record["backend"]] = {
            name: {out: a["oid"] for out, a in step["outputs"].items()}
            for name, step in record["steps"].items()
        }
    assert ids["docker"] == ids["local"]
