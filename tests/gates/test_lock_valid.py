from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from repro.gates.lockvalid import check_lock
from repro.project import Project

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
def lock_doc(flow_template: Path) -> dict[str, Any]:
    """The lock of a real run of the flow project."""
    doc: dict[str, Any] = yaml.safe_load((flow_template / "repro.lock").read_text())
    return doc


def _check(project: Project, doc: dict[str, Any], edit: Edit | None = None) -> list[str]:
    changed = yaml.safe_load(yaml.safe_dump(doc))
    if edit is not None:
        edit(changed["pipelines"]["flow"])
    Path(project.root, "repro.lock").write_text(yaml.safe_dump(changed))
    result = check_lock(project, cwd=project.root)
    return [finding.line for finding in result.findings]


def test_no_lock_passes_with_a_note(project: Project) -> None:
    result = check_lock(project, cwd=project.root)
    assert result.passed
    assert result.notes == ("repro.lock: no lock yet, nothing to check",)


def test_a_lock_repro_wrote_passes(flow: Path) -> None:
    assert check_lock(Project(str(flow)), cwd=str(flow)).passed


def test_a_lock_parsed_afresh_passes(project: Project, lock_doc: dict[str, Any]) -> None:
    assert _check(project, lock_doc) == []


def test_a_lock_that_is_not_yaml_fails_with_its_line(project: Project) -> None:
    Path(project.root, "repro.lock").write_text("schema: repro.lock/v1\npipelines: [\n")
    [finding] = check_lock(project, cwd=project.root).findings
    assert finding.where == "repro.lock:3"
    assert finding.problem.startswith("not valid YAML")
    assert finding.fix == (
        "correct it, or take the committed one back: `git checkout HEAD -- repro.lock`"
    )


def test_a_lock_off_its_schema_fails_naming_the_field(
    project: Project, lock_doc: dict[str, Any]
) -> None:
    [line] = _check(project, lock_doc, lambda entry: entry.pop("run"))
    assert line.startswith("repro.lock:")
    assert "pipelines.flow.run: Field required: correct it" in line


def test_a_lock_of_a_newer_repro_says_upgrade(project: Project) -> None:
    Path(project.root, "repro.lock").write_text("schema: repro.lock/v9\npipelines: {}\n")
    [finding] = check_lock(project, cwd=project.root).findings
    assert finding.line == (
        "repro.lock: written by a newer repro (schema repro.lock/v9): "
        "upgrade repro: `pip install -U repro-gitops`"
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda e: e.update(record="XYZ"),
            "pipelines.flow.record: 'XYZ' is not a xxh3-128 object id",
        ),
        (
            lambda e: e.update(run="01-not-a-run"),
            "pipelines.flow.run: '01-not-a-run' is not a run id "
            "(14 characters of Crockford base32)",
        ),
        (
            lambda e: e.update(commit="abc"),
            "pipelines.flow.commit: 'abc' is not a Git commit id (40 or 64 lowercase hex digits)",
        ),
        (
            lambda e: e["steps"]["total"]["outputs"].update(output="0" * 31),
            f"pipelines.flow.steps.total.outputs.output: '{'0' * 31}' is not a xxh3-128 object id",
        ),
        (
            lambda e: e["steps"]["load"].update(image="python:3.11"),
            "pipelines.flow.steps.load.image: 'python:3.11' is not an image pinned by digest "
            "(NAME@sha256:…)",
        ),
    ],
)
def test_a_malformed_id_fails_naming_where_it_is(
    project: Project, lock_doc: dict[str, Any], edit: Edit, expected: str
) -> None:
    fix = "correct it, or take the committed one back: `git checkout HEAD -- repro.lock`"
    assert _check(project, lock_doc, edit) == [f"repro.lock: {expected}: {fix}"]


def test_ids_are_judged_by_the_projects_algorithm(
    project: Project, lock_doc: dict[str, Any]
) -> None:
    config = Path(project.repro_dir, "config.toml")
    config.write_text(config.read_text().replace('"xxh3-128"', '"sha256"'))
    lines = _check(project, lock_doc)
    assert lines
    assert all("is not a sha256 object id" in line for line in lines)
    assert any(line.startswith("repro.lock: pipelines.flow.record:") for line in lines)


def test_the_runs_of_a_merge_conflict_are_checked(
    project: Project, lock_doc: dict[str, Any]
) -> None:
    conflicted = {**lock_doc, "conflicts": {"flow": {"ours": "nope", "theirs": None}}}
    assert _check(project, conflicted) == [
        "repro.lock: conflicts.flow.ours: 'nope' is not a run id (14 characters of Crockford "
        "base32): correct it, or take the committed one back: `git checkout HEAD -- repro.lock`"
    ]
