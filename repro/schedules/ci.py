"""Scheduled CI jobs from pipeline schedules: GitHub Actions' ``on.schedule``
(one job per pipeline, run when its own cron fired), or GitLab CI jobs run
by a pipeline schedule whose ``REPRO_SCHEDULE`` variable names them (GitLab
keeps the cron in the project's settings; the file lists what to set).

Each job retrains only on new data (``repro run TARGET --if-changed``),
pushes the run and commits the lock, as the nightly job of the CI examples
does."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from repro.errors import UsageError

__all__ = [
    "CI_SYSTEMS",
    "Schedule",
    "UnknownCiSystemError",
    "UnsupportedCiScheduleError",
    "render_ci_schedules",
]

CI_SYSTEMS = ("github", "gitlab")


class UnsupportedCiScheduleError(UsageError, ValueError):
    def __init__(self, system: str, pipeline: str, cron: str) -> None:
        self.system, self.pipeline, self.cron = system, pipeline, cron
        super().__init__(
            f"pipeline {pipeline!r}: {system} schedules take 5-field cron expressions, not "
            f"{cron!r}; write it as one (`0 */2 * * *` for every two hours)"
        )


class UnknownCiSystemError(UsageError, LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no CI system {name!r} (choose {' or '.join(CI_SYSTEMS)})")


@dataclass(frozen=True)
class Schedule:
    pipeline: str
    target: str  # what `repro run` is given: a configured name or FILE.py:PIPELINE
    crons: tuple[str, ...]
    timezone: str | None = None


def render_ci_schedules(system: str, schedules: Sequence[Schedule]) -> str:
    if system not in CI_SYSTEMS:
        raise UnknownCiSystemError(system)
    for schedule in schedules:
        for cron in schedule.crons:
            # Neither GitHub nor GitLab knows descriptors (@every, @daily) or `?`.
            if cron.startswith("@") or "?" in cron:
                raise UnsupportedCiScheduleError(system, schedule.pipeline, cron)
    if system == "github":
        return _github(schedules)
    if system == "gitlab":
        return _gitlab(schedules)
    raise UnknownCiSystemError(system)


def _job_name(pipeline: str) -> str:
    return "retrain-" + (re.sub(r"[^a-z0-9]+", "-", pipeline.lower()).strip("-") or "pipeline")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _retrain_script(target: str, indent: str, *, quote: bool = False) -> list[str]:
    lines = [
        f"repro run {shlex.quote(target)} --if-changed",
        "repro push",
        'git config user.name "repro bot"',
        'git config user.email "repro-bot@users.noreply.example"',
        "git add repro.lock",
        'git diff --cached --quiet || git commit -m "Scheduled retraining: update repro.lock"',
    ]
    return [indent + (_single_quoted(line) if quote else line) for line in lines]


def _github(schedules: Sequence[Schedule]) -> str:
    crons = sorted({cron for schedule in schedules for cron in schedule.crons})
    out = [
        "# Scheduled retraining, compiled by `repro schedule render github` from the",
        "# pipelines' schedules (copy to .github/workflows/repro-schedules.yml).",
        "# GitHub runs cron in UTC: a pipeline's timezone is not applied here.",
        "name: repro schedules",
        "",
        "on:",
        "  schedule:",
        *[f"    - cron: {_quoted(cron)}" for cron in crons],
        "  workflow_dispatch:",
        "",
        "env:",
        "  AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }}",
        "  AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}",
        "",
        "jobs:",
    ]
    for schedule in sorted(schedules, key=lambda s: s.pipeline):
        fired = " || ".join(f"github.event.schedule == '{cron}'" for cron in schedule.crons)
        out += [
            f"  {_job_name(schedule.pipeline)}:",
            f"    name: {_quoted(f'retrain {schedule.pipeline} on new data')}",
            f"    if: {fired} || github.event_name == 'workflow_dispatch'",
            "    runs-on: ubuntu-latest",
            "    permissions:",
            "      contents: write",
            "    concurrency:",
            "      group: repro-main",
            "      cancel-in-progress: false",
            "    steps:",
            "      - uses: actions/checkout@v4",
            "        with:",
            "          ref: main",
            "      - uses: actions/setup-python@v5",
            "        with:",
            '          python-version: "3.11"',
            "      - run: pip install -r requirements.txt",
            "      - run: repro pull",
            "      - name: retrain on new data, push, commit the lock",
            "        run: |",
            *_retrain_script(schedule.target, "          "),
            "          git push",
        ]
    return "\n".join(out) + "\n"


def _gitlab_rule(pipeline: str) -> str:
    return f'$CI_PIPELINE_SOURCE == "schedule" && $REPRO_SCHEDULE == {_quoted(pipeline)}'


def _gitlab(schedules: Sequence[Schedule]) -> str:
    out = [
        "# Scheduled retraining, compiled by `repro schedule render gitlab` from the",
        "# pipelines' schedules (include it from .gitlab-ci.yml). GitLab keeps each",
        "# cron in Build > Pipeline schedules: make one per line below, with the",
        "# variable REPRO_SCHEDULE set to the job's pipeline and REPRO_BOT_TOKEN (a",
        "# project access token allowed to push):",
    ]
    for schedule in sorted(schedules, key=lambda s: s.pipeline):
        zone = schedule.timezone or "UTC"
        for cron in schedule.crons:
            name = schedule.pipeline.replace("\n", " ")
            out.append(f"#   {name}: cron {_quoted(cron)} ({zone})")
    out.append("")
    for schedule in sorted(schedules, key=lambda s: s.pipeline):
        out += [
            f"{_job_name(schedule.pipeline)}:",
            "  image: python:3.11",
            "  rules:",
            "    - if: " + _single_quoted(_gitlab_rule(schedule.pipeline)),
            "  resource_group: repro-main",
            "  script:",
            "    - pip install -r requirements.txt",
            "    - repro pull",
            *_retrain_script(schedule.target, "    - ", quote=True),
            "    - "
            + _single_quoted(
                'git push "https://repro-bot:${REPRO_BOT_TOKEN}@${CI_SERVER_HOST}/'
                '${CI_PROJECT_PATH}.git" "HEAD:${CI_COMMIT_BRANCH}"'
            ),
        ]
    return "\n".join(out) + "\n"
