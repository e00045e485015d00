"""`repro schedule list|render`: a pipeline's schedule compiled to GitHub
Actions and GitLab CI scheduled jobs, whose repro commands retrain only on
new data when run for real in a fresh clone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_testing import clone, repro_lines, run_lines
from pipeline_testing import cli, commit_all

from repro.schedules import Schedule, UnknownCiSystemError, render_ci_schedules

NIGHTLY = Schedule("flow", "flow", ("0 3 * * *", "30 12 * * 1"), "Europe/Paris")


def _github(schedules: list[Schedule]) -> dict[Any, Any]:
    doc = yaml.safe_load(render_ci_schedules("github", schedules))
    assert isinstance(doc, dict)
    return doc


def test_github_fires_each_pipeline_job_on_its_own_crons() -> None:
    other = Schedule("other", "other.py:other", ("0 3 * * *",))
    doc = _github([NIGHTLY, other])
    triggers = doc.get("on", doc.get(True))
    assert [c["cron"] for c in triggers["schedule"]] == ["0 3 * * *", "30 12 * * 1"]
    job = doc["jobs"]["retrain-flow"]
    assert "github.event.schedule == '30 12 * * 1'" in job["if"]
    assert "other" not in job["if"]
    script = job["steps"][-1]["run"]
    assert repro_lines(script) == ["repro run flow --if-changed", "repro push"]
    assert repro_lines(doc["jobs"]["retrain-other"]["steps"][-1]["run"])[0] == (
        "repro run other.py:other --if-changed"
    )


def test_gitlab_jobs_run_on_their_schedule_variable() -> None:
    text = render_ci_schedules("gitlab", [NIGHTLY])
    doc = yaml.safe_load(text)
    job = doc["retrain-flow"]
    assert job["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "schedule" && $REPRO_SCHEDULE == "flow"'}
    ]
    assert 'flow: cron "30 12 * * 1" (Europe/Paris)' in text
    assert repro_lines(job["script"])[:3] == [
        "repro pull",
        "repro run flow --if-changed",
        "repro push",
    ]


def test_an_unknown_ci_system_is_named() -> None:
    with pytest.raises(UnknownCiSystemError, match="choose github or gitlab"):
        render_ci_schedules("jenkins", [NIGHTLY])


@pytest.fixture
def scheduled(dev: Path) -> Path:
    with (dev / "pyproject.toml").open("a") as file:
        file.write('\n[tool.repro.argo.schedules]\nflow = "0 3 * * *"\n')
    commit_all(dev, "retrain the flow nightly")
    return dev


def test_schedule_list_names_the_pipelines_and_crons(scheduled: Path) -> None:
    listed = cli(scheduled, "schedule", "list", "--json")
    assert listed.code == 0, listed
    assert listed.json() == [
        {"pipeline": "flow", "target": "flow", "crons": ["0 3 * * *"], "timezone": None}
    ]


def test_the_rendered_job_retrains_only_on_new_data(scheduled: Path) -> None:
    rendered = cli(scheduled, "schedule", "render", "github", "-o", "schedules.yml")
    assert rendered.code == 0, rendered
    doc = yaml.safe_load((scheduled / "schedules.yml").read_text())
    steps = doc["jobs"]["retrain-flow"]["steps"]
    lines = [line for step in steps if "run" in step for line in repro_lines(step["run"])]
    bare = scheduled.parent / "origin.git"
    from repro_testing import git

    git(scheduled.parent, "clone", "-q", "--bare", str(scheduled), str(bare))
    ci = clone(bare, scheduled.parent / "ci")
    quiet = run_lines(ci, lines)
    assert [r.code for r in quiet] == [0, 0, 0], quiet
    assert "inputs unchanged" in quiet[1].out
    (ci / "data" / "rows.csv").write_text("value\n1\n2\n3\n4\n5\n")  # a data drop
    retrained = run_lines(ci, lines[1:])
    assert [r.code for r in retrained] == [0, 0], retrained
    assert "succeeded" in retrained[0].out


def test_render_without_any_schedule_is_an_error(dev: Path) -> None:
    result = cli(dev, "schedule", "render", "github")
    assert result.code == 2 and "no configured pipeline has a schedule" in result.err


def test_an_invalid_cron_is_refused(dev: Path) -> None:
    with (dev / "pyproject.toml").open("a") as file:
        file.write('\n[tool.repro.argo.schedules]\nflow = "0 25 * * *"\n')
    result = cli(dev, "schedule", "list")
    assert result.code == 2 and "0 25 * * *" in result.err


def test_names_with_shell_and_yaml_characters_stay_one_quoted_argument() -> None:
    odd = Schedule("nightly: retrain #1", "train $(touch /tmp/pwned)", ("0 3 * * *",))
    doc = _github([odd])
    job = doc["jobs"]["retrain-nightly-retrain-1"]
    assert job["name"] == "retrain nightly: retrain #1 on new data"
    assert "repro run 'train $(touch /tmp/pwned)' --if-changed" in job["steps"][-1]["run"]
    gitlab = yaml.safe_load(render_ci_schedules("gitlab", [odd]))
    (line,) = [x for x in gitlab["retrain-nightly-retrain-1"]["script"] if "--if-changed" in x]
    assert line == "repro run 'train $(touch /tmp/pwned)' --if-changed"


def test_a_descriptor_is_refused_for_ci() -> None:
    from repro.schedules import UnsupportedCiScheduleError

    every = Schedule("flow", "flow", ("@every 2h",))
    with pytest.raises(UnsupportedCiScheduleError, match="5-field cron expressions"):
        render_ci_schedules("github", [every])
