"""The CI examples in examples/ci/: valid YAML with the triggers and jobs
they promise, and the ``repro …`` commands in them, taken from the files,
run for real against a project that a developer ran, pushed and committed,
in a fresh clone as CI sees it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_testing import clone, repro_lines, run_lines
from pipeline_testing import cli, commit_all, edit
from repro_testing import GIT_ENV, git

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "ci"
GITHUB = EXAMPLES / "github-actions.yml"
GITLAB = EXAMPLES / "gitlab-ci.yml"
FILES = {"github": GITHUB, "gitlab": GITLAB}
# The job of each kind, by name, in both files.
PULL_REQUEST, MAIN, NIGHTLY = "frozen", "run", "retrain"


def _load(path: Path) -> dict[Any, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    return doc


def _github_scripts(job: str) -> list[str]:
    steps = _load(GITHUB)["jobs"][job]["steps"]
    return [step["run"] for step in steps if "run" in step]


def _gitlab_scripts(job: str) -> list[str]:
    doc = _load(GITLAB)
    spec = doc[job]
    before = spec.get("before_script", doc["default"]["before_script"])
    return [*before, *spec["script"]]


def commands(kind: str, job: str) -> list[str]:
    """The ``repro …`` lines a job of the file runs, in order."""
    scripts = _github_scripts(job) if kind == "github" else _gitlab_scripts(job)
    return [line for script in scripts for line in repro_lines(script)]


# structure


def test_github_workflow_runs_on_pull_requests_main_and_a_nightly_cron() -> None:
    doc = _load(GITHUB)
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    (schedule,) = triggers["schedule"]
    assert re.fullmatch(r"\d+ \d+ \* \* \*", schedule["cron"])  # once a day


def test_github_jobs_are_each_for_their_event() -> None:
    jobs = _load(GITHUB)["jobs"]
    assert jobs[PULL_REQUEST]["if"] == "github.event_name == 'pull_request'"
    assert jobs[MAIN]["if"] == "github.event_name == 'push'"
    assert "github.event_name == 'schedule'" in jobs[NIGHTLY]["if"]
    assert jobs[NIGHTLY]["permissions"] == {"contents": "write"}  # it commits the lock


def test_gitlab_jobs_are_each_for_their_pipeline_source() -> None:
    doc = _load(GITLAB)

    def conditions(job: str) -> list[str]:
        return [rule["if"] for rule in doc[job]["rules"]]

    assert conditions(PULL_REQUEST) == ['$CI_PIPELINE_SOURCE == "merge_request_event"']
    assert conditions(MAIN) == [
        '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'
    ]
    assert conditions(NIGHTLY) == ['$CI_PIPELINE_SOURCE == "schedule"']


@pytest.mark.parametrize("kind", sorted(FILES))
def test_each_job_runs_the_repro_commands_of_its_kind(kind: str) -> None:
    assert commands(kind, PULL_REQUEST) == ["repro pull", "repro run --frozen"]
    assert commands(kind, MAIN) == ["repro pull", "repro run --ci"]
    assert commands(kind, NIGHTLY) == ["repro pull", "repro run", "repro push"]


# the commands, run


def _checkout(dev: Path) -> Path:
    return clone(dev, dev.parent / "ci-checkout")


@pytest.mark.parametrize("kind", sorted(FILES))
def test_pull_request_commands_pass_on_a_fresh_lock(dev: Path, kind: str) -> None:
    results = run_lines(_checkout(dev), commands(kind, PULL_REQUEST))
    assert [r.code for r in results] == [0, 0], results
    assert "flow: fresh" in results[-1].out


def test_pull_request_commands_fail_on_a_stale_lock_saying_why(dev: Path) -> None:
    edit(dev / "helpers.py", "value * factor", "value * factor + 1")
    commit_all(dev, "code changed, lock not updated")
    results = run_lines(_checkout(dev), commands("github", PULL_REQUEST))
    assert [r.code for r in results] == [0, 1], results
    assert "stale    transform: code changed (helpers.py)" in results[-1].out


@pytest.mark.parametrize("kind", sorted(FILES))
def test_main_commands_pass_and_leave_the_committed_lock(dev: Path, kind: str) -> None:
    ci = _checkout(dev)
    results = run_lines(ci, commands(kind, MAIN))
    assert [r.code for r in results] == [0, 0], results
    assert "pushed 1 run to origin" in results[-1].out
    assert git(ci, "status", "--porcelain") == ""


def test_nightly_retrains_on_new_data_pushes_and_commits_the_lock(dev: Path) -> None:
    bare = dev.parent / "origin.git"
    git(dev.parent, "clone", "-q", "--bare", str(dev), str(bare))
    ci = clone(bare, dev.parent / "nightly")
    pull, *rest = commands("github", NIGHTLY)
    assert [r.code for r in run_lines(ci, [pull])] == [0]
    (ci / "data" / "rows.csv").write_text("value\n1\n2\n3\n4\n5\n")  # new data arrived
    results = run_lines(ci, rest)
    assert [r.code for r in results] == [0, 0], results
    _run_github_step(ci, "commit the new lock")
    assert git(bare, "log", "-1", "--format=%s", "main").strip() == (
        "Nightly retraining: update repro.lock"
    )
    # The next pull request's check, in another fresh clone, gets the new
    # data from the remote and finds the new lock fresh.
    after = clone(bare, dev.parent / "next")
    again = run_lines(after, commands("github", PULL_REQUEST))
    assert [r.code for r in again] == [0, 0], again
    assert (after / "data" / "rows.csv").read_text().endswith("5\n")


def _run_github_step(cwd: Path, name: str) -> None:
    steps = _load(GITHUB)["jobs"][NIGHTLY]["steps"]
    (script,) = [step["run"] for step in steps if step.get("name") == name]
    subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={**GIT_ENV, "PATH": "/usr/bin:/bin", "HOME": str(cwd.parent)},
        check=True,
        capture_output=True,
    )


def test_without_repro_pull_every_step_runs_again_but_the_lock_holds(dev: Path) -> None:
    """Why the examples pull first: without the pinned runs, a fresh checkout
    executes every step again; a lock whose every pin holds is kept as it
    is, so a deterministic pipeline still passes --ci."""
    ci = _checkout(dev)
    (ci / "data").mkdir()
    (ci / "data" / "rows.csv").write_bytes((dev / "data" / "rows.csv").read_bytes())
    lock = (ci / "repro.lock").read_bytes()
    result = cli(ci, "run", "--ci")
    assert result.code == 0, result
    assert "succeeded (4 executed)" in result.out
    assert (ci / "repro.lock").read_bytes() == lock
