"""The project's own lint of Argo manifests: the samples in the shape repro
emits lint clean, and each rule catches its own kind of breakage, naming
the culprit."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import yaml
from argo_samples import IMAGE, sample_cron_workflow, sample_workflow, task, template

from repro.argo.lint import (
    LintProblem,
    ManifestLintError,
    check_manifest,
    lint_manifest,
    lint_yaml,
)
from repro.errors import ReproError


def only(doc: dict[str, Any]) -> LintProblem:
    """The single problem of ``doc`` (fails when there are none or several)."""
    (problem,) = lint_manifest(doc)
    return problem


# Clean manifests


def test_workflow_sample_lints_clean() -> None:
    assert lint_manifest(sample_workflow()) == []


def test_cron_workflow_sample_lints_clean() -> None:
    assert lint_manifest(sample_cron_workflow()) == []


def test_check_manifest_accepts_the_sample() -> None:
    check_manifest(sample_workflow())


@pytest.mark.parametrize(
    "depends",
    [
        "features && stats",
        "features&&stats",
        "(features.Succeeded || features.Failed) && stats.Succeeded",
        "features.AnySucceeded && !stats.Errored",
    ],
)
def test_depends_expressions_argo_accepts_lint_clean(depends: str) -> None:
    doc = sample_workflow()
    task(doc, "train")["depends"] = depends
    assert lint_manifest(doc) == []


def test_image_with_tag_and_digest_is_pinned() -> None:
    doc = sample_workflow()
    name, digest = IMAGE.split("@")
    template(doc, "train")["container"]["image"] = f"{name}:v1.2@{digest}"
    assert lint_manifest(doc) == []


def test_empty_label_value_is_valid() -> None:
    doc = sample_workflow()
    doc["metadata"]["labels"]["repro.dev/commit"] = ""
    assert lint_manifest(doc) == []


# kind


def test_wrong_api_version_is_flagged() -> None:
    doc = sample_workflow()
    doc["apiVersion"] = "argoproj.io/v1beta1"
    problem = only(doc)
    assert (problem.rule, problem.where) == ("kind", "apiVersion")
    assert "argoproj.io/v1beta1" in problem.message


def test_wrong_kind_is_flagged() -> None:
    doc = sample_workflow()
    doc["kind"] = "WorkflowTemplate"
    problem = only(doc)
    assert (problem.rule, problem.where) == ("kind", "kind")
    assert "WorkflowTemplate" in problem.message


# name


def test_generate_name_instead_of_name_is_flagged() -> None:
    doc = sample_workflow()
    doc["metadata"]["generateName"] = doc["metadata"].pop("name")
    problem = only(doc)
    assert (problem.rule, problem.where) == ("name", "metadata.name")


def test_cron_workflow_name_over_52_characters_is_flagged() -> None:
    doc = sample_cron_workflow()
    doc["metadata"]["name"] = "repro-" + "p" * 47
    problem = only(doc)
    assert problem.rule == "name"
    assert "53 characters" in problem.message and "52" in problem.message


def test_name_with_uppercase_is_flagged() -> None:
    doc = sample_workflow()
    doc["metadata"]["name"] = "repro-Demo"
    problem = only(doc)
    assert problem.rule == "name" and "'repro-Demo'" in problem.message


# shape and duplicate-name


def test_missing_templates_is_flagged() -> None:
    doc = sample_workflow()
    del doc["spec"]["templates"]
    problems = lint_manifest(doc)
    assert [(p.rule, p.where) for p in problems] == [
        ("shape", "spec.templates"),
        ("entrypoint", "spec.entrypoint"),
    ]


def test_duplicate_task_name_is_flagged() -> None:
    doc = sample_workflow()
    task(doc, "stats")["name"] = "features"
    problems = lint_manifest(doc)
    assert problems[0].rule == "duplicate-name"
    assert problems[0].where == "spec.templates[dag].dag.tasks[2]"
    assert "'features'" in problems[0].message


# entrypoint


def test_entrypoint_naming_no_template_is_flagged() -> None:
    doc = sample_workflow()
    doc["spec"]["entrypoint"] = "main"
    problem = only(doc)
    assert (problem.rule, problem.where) == ("entrypoint", "spec.entrypoint")
    assert "'main'" in problem.message


def test_cron_workflow_entrypoint_is_checked_in_its_workflow_spec() -> None:
    doc = sample_cron_workflow()
    doc["spec"]["workflowSpec"]["entrypoint"] = "main"
    problem = only(doc)
    assert (problem.rule, problem.where) == ("entrypoint", "spec.workflowSpec.entrypoint")


# template-ref


def test_task_naming_no_template_is_flagged() -> None:
    doc = sample_workflow()
    task(doc, "stats")["template"] = "statistics"
    problem = only(doc)
    assert (problem.rule, problem.where) == (
        "template-ref",
        "spec.templates[dag].dag.tasks[stats].template",
    )
    assert "'statistics'" in problem.message


def test_template_ref_to_a_workflow_template_is_flagged() -> None:
    doc = sample_workflow()
    del task(doc, "stats")["template"]
    task(doc, "stats")["templateRef"] = {"name": "shared", "template": "stats"}
    problem = only(doc)
    assert problem.rule == "template-ref" and "'stats'" in problem.message


# depends-ref and depends-syntax


def test_depends_on_unknown_task_is_flagged() -> None:
    doc = sample_workflow()
    task(doc, "train")["depends"] = "features && statistics"
    problems = lint_manifest(doc)
    assert problems[0].rule == "depends-ref"
    assert problems[0].where == "spec.templates[dag].dag.tasks[train].depends"
    assert "'statistics'" in problems[0].message
    # train also loses stats as an ancestor, so its stats argument is flagged too.
    assert [p.rule for p in problems[1:]] == ["param-ref"]


@pytest.mark.parametrize(
    ("depends", "why"),
    [
        ("features &&", "missing before 'the end'"),
        ("features & stats", "unexpected '& stats'"),
        ("features.Done && stats", "'Done' is not a task result"),
        ("(features && stats", "'(' is never closed"),
        ("features stats", "unexpected 'stats'"),
        ("", "missing before 'the end'"),
    ],
)
def test_unparsable_depends_is_flagged(depends: str, why: str) -> None:
    doc = sample_workflow()
    task(doc, "train")["depends"] = depends
    problem = lint_manifest(doc)[0]
    assert problem.rule == "depends-syntax"
    assert repr(depends) in problem.message and why in problem.message


# cycle


def test_cycle_through_depends_is_named() -> None:
    doc = sample_workflow()
    task(doc, "prepare")["depends"] = "train"
    problems = [p for p in lint_manifest(doc) if p.rule == "cycle"]
    assert [p.message.split(": ")[1] for p in problems] == [
        "prepare -> train -> features -> prepare (each depends on the next)",
        "prepare -> train -> stats -> prepare (each depends on the next)",
    ]


def test_task_depending_on_itself_is_a_cycle() -> None:
    doc = sample_workflow()
    task(doc, "stats")["depends"] = "prepare && stats"
    problem = only(doc)
    assert problem.rule == "cycle" and "stats -> stats" in problem.message


# param-ref


def test_undeclared_input_parameter_is_flagged() -> None:
    doc = sample_workflow()
    template(doc, "train")["container"]["command"][-1] = "stats={{inputs.parameters.statz}}"
    problem = only(doc)
    assert problem.rule == "param-ref"
    assert problem.where == "spec.templates[train].container.command[11]"
    assert "{{inputs.parameters.statz}}" in problem.message and "'train'" in problem.message


def test_reference_to_a_task_that_is_not_an_ancestor_is_flagged() -> None:
    doc = sample_workflow()
    value = "{{tasks.stats.outputs.parameters.out-0}}"
    task(doc, "features")["arguments"]["parameters"][0]["value"] = value
    problem = only(doc)
    assert problem.rule == "param-ref"
    assert (
        problem.where == "spec.templates[dag].dag.tasks[features].arguments.parameters[rows].value"
    )
    assert "'stats' is not an ancestor of 'features'" in problem.message


def test_ancestors_are_transitive() -> None:
    doc = sample_workflow()
    value = "{{tasks.prepare.outputs.parameters.out-0}}"
    task(doc, "train")["arguments"]["parameters"][0]["value"] = value
    assert lint_manifest(doc) == []


def test_undeclared_output_parameter_is_flagged() -> None:
    doc = sample_workflow()
    value = "{{tasks.features.outputs.parameters.out-1}}"
    task(doc, "train")["arguments"]["parameters"][0]["value"] = value
    problem = only(doc)
    assert problem.rule == "param-ref" and "no output 'out-1'" in problem.message


def test_reference_to_an_unknown_task_is_flagged() -> None:
    doc = sample_workflow()
    task(doc, "train")["arguments"]["parameters"][0]["value"] = "{{tasks.fit.outputs.parameters.x}}"
    problem = only(doc)
    assert problem.rule == "param-ref" and "no task 'fit'" in problem.message


def test_task_output_outside_a_dag_task_is_flagged() -> None:
    doc = sample_workflow()
    command = template(doc, "train")["container"]["command"]
    command.append("{{tasks.features.outputs.parameters.out-0}}")
    problem = only(doc)
    assert problem.rule == "param-ref" and "outside a dag task" in problem.message


def test_unknown_expression_is_flagged_in_env_values() -> None:
    doc = sample_workflow()
    template(doc, "prepare")["container"]["env"][0]["value"] = "{{workflow.creationTimestamp}}"
    problem = only(doc)
    assert problem.rule == "param-ref"
    assert problem.where == "spec.templates[prepare].container.env[REPRO_ARGO_REMOTE].value"
    assert "{{workflow.creationTimestamp}}" in problem.message


def test_unclosed_reference_is_flagged() -> None:
    doc = sample_workflow()
    template(doc, "prepare")["container"]["command"].append("{{inputs.parameters.rows")
    problem = only(doc)
    assert problem.rule == "param-ref" and "never closed" in problem.message


def test_workflow_globals_resolve() -> None:
    doc = sample_workflow()
    template(doc, "prepare")["container"]["command"].append(
        "{{workflow.name}}/{{ workflow.namespace }}/{{workflow.uid}}"
    )
    assert lint_manifest(doc) == []


# image-pinned


@pytest.mark.parametrize(
    "image",
    [
        "registry.example.com/demo/steps:latest",
        "registry.example.com/demo/steps@sha256:" + "3F" * 32,
        "registry.example.com/demo/steps@sha256:" + "3f" * 31,
        "@sha256:" + "3f" * 32,
    ],
)
def test_image_not_pinned_by_digest_is_flagged(image: str) -> None:
    doc = sample_workflow()
    template(doc, "stats")["container"]["image"] = image
    problem = only(doc)
    assert (problem.rule, problem.where) == (
        "image-pinned",
        "spec.templates[stats].container.image",
    )
    assert repr(image) in problem.message


def test_sidecar_images_are_checked_too() -> None:
    doc = sample_workflow()
    template(doc, "stats")["sidecars"] = [{"name": "proxy", "image": "envoy:v1"}]
    problem = only(doc)
    assert problem.where == "spec.templates[stats].sidecars[proxy].image"


# label-length, label-value, label-key


def test_label_value_over_63_characters_is_flagged() -> None:
    doc = sample_workflow()
    doc["metadata"]["labels"]["repro.dev/pipeline"] = "p" * 64
    problem = only(doc)
    assert problem.rule == "label-length"
    assert problem.where == "metadata.labels['repro.dev/pipeline']"
    assert "64 characters" in problem.message


def test_label_value_with_bad_characters_is_flagged() -> None:
    doc = sample_workflow()
    doc["metadata"]["labels"]["repro.dev/pipeline"] = "my pipeline"
    problem = only(doc)
    assert problem.rule == "label-value" and "'my pipeline'" in problem.message


def test_label_value_that_is_not_a_string_is_flagged() -> None:
    doc = sample_workflow()
    doc["metadata"]["labels"]["repro.dev/pipeline"] = 7
    problem = only(doc)
    assert problem.rule == "label-value" and "7 is not a string" in problem.message


@pytest.mark.parametrize("key", ["Repro.dev/run", "repro.dev/-run", "a/b/c", "repro.dev/"])
def test_invalid_label_key_is_flagged(key: str) -> None:
    doc = sample_workflow()
    doc["metadata"]["labels"][key] = "x"
    problem = only(doc)
    assert problem.rule == "label-key" and repr(key) in problem.message


def test_cron_workflow_metadata_labels_are_checked() -> None:
    doc = sample_cron_workflow()
    doc["spec"]["workflowMetadata"]["labels"]["repro.dev/pipeline"] = "-demo"
    problem = only(doc)
    assert problem.rule == "label-value"
    assert problem.where == "spec.workflowMetadata.labels['repro.dev/pipeline']"


# schedules


@pytest.mark.parametrize("schedules", [[], "0 3 * * *", [3], None])
def test_schedules_must_be_a_non_empty_list_of_strings(schedules: Any) -> None:
    doc = sample_cron_workflow()
    doc["spec"]["schedules"] = schedules
    problem = only(doc)
    assert (problem.rule, problem.where) == ("schedules", "spec.schedules")
    assert repr(schedules) in problem.message


def test_singular_schedule_is_flagged() -> None:
    doc = sample_cron_workflow()
    doc["spec"]["schedule"] = doc["spec"].pop("schedules")[0]
    problems = lint_manifest(doc)
    assert [(p.rule, p.where) for p in problems] == [
        ("schedules", "spec.schedule"),
        ("schedules", "spec.schedules"),
    ]


def test_cron_workflow_spec_is_linted_like_a_workflow() -> None:
    doc = sample_cron_workflow()
    task(doc, "train")["depends"] = "features && statistics"
    assert (
        lint_manifest(doc)[0].where == "spec.workflowSpec.templates[dag].dag.tasks[train].depends"
    )


# YAML streams


def test_yaml_stream_of_clean_manifests_lints_clean() -> None:
    text = yaml.safe_dump_all([sample_workflow(), sample_cron_workflow()], sort_keys=True)
    assert lint_yaml(text + "---\n") == []


def test_yaml_problems_are_prefixed_with_the_document_index() -> None:
    broken = sample_cron_workflow()
    broken["spec"]["workflowSpec"]["entrypoint"] = "main"
    problems = lint_yaml(yaml.safe_dump_all([sample_workflow(), broken]))
    assert [(p.rule, p.where) for p in problems] == [
        ("entrypoint", "doc[1].spec.workflowSpec.entrypoint")
    ]


def test_invalid_yaml_is_a_problem() -> None:
    text = yaml.safe_dump(sample_workflow()) + "---\nspec: [unclosed\n"
    problems = lint_yaml(text)
    assert [(p.rule, p.where) for p in problems] == [("yaml", "doc[1]")]
    assert "line" in problems[0].message and "\n" not in problems[0].message


def test_yaml_document_that_is_not_a_mapping_is_flagged() -> None:
    problems = lint_yaml("- a\n- b\n")
    assert [(p.rule, p.where) for p in problems] == [("kind", "doc[0]")]
    assert "list" in problems[0].message


# ManifestLintError


def test_check_manifest_raises_with_first_problem_and_count() -> None:
    doc = sample_workflow()
    doc["spec"]["entrypoint"] = "main"
    task(doc, "stats")["template"] = "statistics"
    with pytest.raises(
        ManifestLintError, match=r"spec\.entrypoint: entrypoint 'main' .* and 1 more; fix"
    ) as raised:
        check_manifest(doc)
    assert [p.rule for p in raised.value.problems] == ["entrypoint", "template-ref"]
    assert isinstance(raised.value, ReproError) and raised.value.exit_code == 1


def test_manifest_lint_error_survives_pickling() -> None:
    error = ManifestLintError([LintProblem("cycle", "spec", "a -> a")])
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.problems, str(copy)) == (error.problems, str(error))


def test_problem_prints_as_one_line() -> None:
    problem = LintProblem("entrypoint", "spec.entrypoint", "entrypoint 'main' names no template")
    assert str(problem) == "spec.entrypoint: entrypoint 'main' names no template [entrypoint]"
