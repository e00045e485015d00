"""`repro argo render`: the flow project's Workflow and CronWorkflow, the
same bytes from the same lock, valid against Argo's SDK and CRDs, linted,
and matching the golden files (REPRO_REGENERATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from argo_validators import validate_manifest
from pipeline_testing import cli, commit_all, edit

from repro.argo.lint import lint_manifest

GOLDEN = Path(__file__).parent / "golden"


def _render(root: Path, *args: str) -> str:
    result = cli(root, "argo", "render", *args)
    assert result.code == 0, result
    return result.out


def test_render_writes_a_valid_workflow_of_every_step(argo_project: Path) -> None:
    doc = yaml.safe_load(_render(argo_project))
    validate_manifest(doc)
    assert lint_manifest(doc) == []
    tasks = {t["name"]: t for t in doc["spec"]["templates"][0]["dag"]["tasks"]}
    assert set(tasks) == {"load", "transform", "total", "describe"}
    assert tasks["transform"]["depends"] == "load"
    values = tasks["transform"]["arguments"]["parameters"][0]["value"]
    assert values == "{{tasks.load.outputs.parameters.out-output}}"


def test_same_lock_renders_the_same_bytes(argo_project: Path) -> None:
    assert _render(argo_project) == _render(argo_project)


def _golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("REPRO_REGENERATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


def test_render_matches_the_golden_file(argo_project: Path) -> None:
    _golden("flow-workflow.yaml", _normalized(_render(argo_project), argo_project))


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.yaml")), ids=lambda path: path.name)
def test_golden_file_validates(golden: Path) -> None:
    validate_manifest(yaml.safe_load(golden.read_text()))


def test_cron_render_matches_the_golden_file(argo_project: Path) -> None:
    edit(argo_project / "flow.py", "@pipeline\n", '@pipeline(schedule=["0 3 * * *", "@hourly"])\n')
    with (argo_project / "pyproject.toml").open("a") as file:
        file.write('timezone = "Europe/Paris"\nconcurrency-policy = "Replace"\n')
    commit_all(argo_project, "twice")
    _golden("flow-cron-workflow.yaml", _normalized(_render(argo_project, "--cron"), argo_project))


def test_cron_workflow_on_the_pipeline_schedule(argo_project: Path) -> None:
    edit(argo_project / "flow.py", "@pipeline\n", '@pipeline(schedule="0 3 * * *")\n')
    commit_all(argo_project, "nightly")
    doc = yaml.safe_load(_render(argo_project, "--cron"))
    validate_manifest(doc)
    assert lint_manifest(doc) == []
    assert doc["kind"] == "CronWorkflow"
    assert doc["spec"]["schedules"] == ["0 3 * * *"]
    assert doc["spec"]["concurrencyPolicy"] == "Forbid"


def _normalized(text: str, root: Path) -> str:
    """Ids that differ per test (the bucket, the endpoint, the commit, the
    run id's time) replaced by stable names."""
    text = re.sub(r"repro-[0-9a-f]{12}", "BUCKET", text)
    text = re.sub(r"http://127\.0\.0\.1:\d+", "ENDPOINT", text)
    text = re.sub(r"\b[0-9a-f]{40}\b", "COMMIT", text)
    return re.sub(r"\b[0-9a-hjkmnp-tv-z]{14}\b", "RUNID", text)
