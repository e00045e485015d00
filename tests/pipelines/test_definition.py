"""Defining pipelines: ``@step``, ``@pipeline``, ``sh``, datasets and parameters.

Calling steps inside ``Pipeline.build`` must only build the graph: every step
body here appends to ``CALLS`` (or raises), so a test can prove nothing ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import pytest

from repro.errors import UsageError
from repro.pipelines.data import Dataset, InvalidDatasetError, Model
from repro.pipelines.definition import (
    InvalidParameterError,
    MissingParameterError,
    Pipeline,
    UnknownParameterError,
    pipeline,
)
from repro.pipelines.graph import (
    DatasetRef,
    Graph,
    InvalidStepArgumentError,
    Literal,
    NotInPipelineError,
    OutputRef,
    StepOutput,
    StepOutputs,
)
from repro.pipelines.params import parse_param_value
from repro.pipelines.steps import Step, sh, step

CALLS: list[str] = []


@pytest.fixture(autouse=True)
def no_calls() -> Iterator[None]:
    CALLS.clear()
    yield
    CALLS.clear()


class Split(TypedDict):
    train: list[int]
    test: list[int]


@step
def load(path: Path) -> list[int]:
    CALLS.append("load")
    raise AssertionError("a step body ran while the pipeline was being defined")


@step
def scale(values: list[int], factor: int = 2) -> list[int]:
    CALLS.append("scale")
    return [value * factor for value in values]


@step
def halves(values: list[int]) -> tuple[list[int], list[int]]:
    CALLS.append("halves")
    middle = len(values) // 2
    return values[:middle], values[middle:]


@step
def split(values: list[int]) -> Split:
    CALLS.append("split")
    return {"train": values[:1], "test": values[1:]}


@step(name="fit_model", outputs=("model", "score"), cache=False, image="python:3.11-slim")
def fit(values: list[int]) -> Any:
    CALLS.append("fit")
    return "model", 0.5


def build(func: Any, **params: Any) -> Graph:
    """The graph of ``func`` as a pipeline, with its parameters resolved."""
    definition = pipeline(func)
    return definition.build(definition.resolve_params(params))


# @step -------------------------------------------------------------------------------------------


def test_step_without_arguments_keeps_the_function_name_and_defaults() -> None:
    assert isinstance(scale, Step)
    assert (scale.name, scale.outputs, scale.output_mode) == ("scale", ("output",), "single")
    assert (scale.cache, scale.image) == (True, None)
    assert vars(scale)["__name__"] == "scale"  # functools.update_wrapper


def test_step_with_arguments_records_name_outputs_cache_and_image() -> None:
    assert fit.name == "fit_model"
    assert (fit.outputs, fit.output_mode) == (("model", "score"), "tuple")
    assert (fit.cache, fit.image) == (False, "python:3.11-slim")


def test_step_called_outside_a_pipeline_runs_the_plain_function() -> None:
    assert scale([1, 2], factor=3) == [3, 6]
    assert CALLS == ["scale"]


def test_step_outputs_must_be_distinct_names() -> None:
    with pytest.raises(InvalidStepArgumentError, match="'outputs': give distinct names"):
        step(outputs=("a", "a"))(lambda: None)


# Building a graph --------------------------------------------------------------------------------


def test_building_a_pipeline_runs_no_step_body() -> None:
    def flow(data: Dataset = Dataset("data/rows.csv"), factor: int = 3) -> None:
        scale(load(data), factor=factor)

    graph = build(flow)
    assert CALLS == []
    assert list(graph.nodes) == ["load", "scale"]


def test_nodes_follow_call_order_with_typed_arguments() -> None:
    def flow(data: Dataset = Dataset("data/rows.csv"), factor: int = 3) -> None:
        scale(load(data), factor=factor)

    graph = build(flow, factor=5)
    load_node, scale_node = graph.nodes["load"], graph.nodes["scale"]
    assert load_node.args == {"path": DatasetRef("data/rows.csv")}
    assert scale_node.args == {"values": OutputRef("load", "output"), "factor": Literal(5)}
    assert scale_node.upstream == ["load"]
    assert graph.downstream("load") == ["scale"]
    assert graph.datasets == {"data/rows.csv": Dataset("data/rows.csv")}


def test_defaults_of_the_step_become_literal_arguments() -> None:
    def flow() -> None:
        scale([1, 2])

    assert build(flow).nodes["scale"].args["factor"] == Literal(2)


def test_repeated_calls_of_one_step_get_unique_names() -> None:
    def flow() -> None:
        first = scale([1])
        second = scale(first)
        scale(second)

    graph = build(flow)
    assert list(graph.nodes) == ["scale", "scale_2", "scale_3"]
    assert graph.nodes["scale_3"].args["values"] == OutputRef("scale_2", "output")


def test_step_options_reach_the_node() -> None:
    def flow() -> None:
        fit([1])

    node = build(flow).nodes["fit_model"]
    assert (node.kind, node.cache, node.image, node.func) == (
        "python",
        False,
        "python:3.11-slim",
        fit.func,
    )


def test_tuple_return_annotation_gives_numbered_outputs_to_unpack() -> None:
    seen: dict[str, Any] = {}

    def flow() -> None:
        seen["first"], seen["second"] = halves([1, 2, 3])

    graph = build(flow)
    assert (halves.outputs, halves.output_mode) == (("output_0", "output_1"), "tuple")
    assert seen == {
        "first": StepOutput("halves", "output_0"),
        "second": StepOutput("halves", "output_1"),
    }
    assert graph.nodes["halves"].outputs == ("output_0", "output_1")


def test_declared_outputs_unpack_by_name() -> None:
    def flow() -> None:
        _model, score = fit([1])
        scale(score)

    assert build(flow).nodes["scale"].args["values"] == OutputRef("fit_model", "score")


def test_typeddict_return_gives_a_mapping_of_outputs() -> None:
    seen: dict[str, Any] = {}

    def flow() -> None:
        out = split([1, 2])
        seen["out"] = out
        scale(out["test"])

    graph = build(flow)
    out = seen["out"]
    assert isinstance(out, StepOutputs)
    assert list(out) == ["train", "test"]
    assert out["train"] == StepOutput("split", "train")
    assert graph.nodes["scale"].args["values"] == OutputRef("split", "test")


def test_unknown_key_of_a_typeddict_output_is_a_key_error() -> None:
    def flow() -> None:
        split([1])["validation"]

    with pytest.raises(KeyError, match="step 'split' has no output 'validation'"):
        build(flow)


def test_passing_all_named_outputs_as_one_argument_is_refused() -> None:
    def flow() -> None:
        scale(split([1]))

    with pytest.raises(InvalidStepArgumentError, match=r"pass one output: outputs\['name'\]"):
        build(flow)


def test_unpacking_a_single_output_says_how_to_declare_several() -> None:
    def flow() -> None:
        _first, _second = scale([1])

    with pytest.raises(TypeError, match=r"step 'scale' has one output; declare several with"):
        build(flow)


def test_branching_on_a_placeholder_says_to_branch_inside_a_step() -> None:
    def flow() -> None:
        if scale([1]):
            scale([2])

    with pytest.raises(TypeError, match="not known while the pipeline is defined"):
        build(flow)


def test_non_json_literal_argument_names_the_step_and_argument() -> None:
    def flow() -> None:
        scale([1], factor=object())

    with pytest.raises(InvalidStepArgumentError, match="step 'scale', argument 'factor': a object"):
        build(flow)


def test_wrong_call_signature_names_the_step() -> None:
    def flow() -> None:
        scale([1], unknown=2)

    with pytest.raises(InvalidStepArgumentError, match=r"step 'scale', argument '\(call\)'"):
        build(flow)


# Parameters --------------------------------------------------------------------------------------


def flow_with_params(
    epochs: int, rate: float = 0.5, data: Dataset = Dataset("data/rows.csv")
) -> None:
    """A pipeline with a required, a plain and a dataset parameter."""


def test_resolve_params_fills_defaults_under_overrides() -> None:
    definition = pipeline(flow_with_params)
    assert definition.resolve_params({"epochs": 3}) == {
        "epochs": 3,
        "rate": 0.5,
        "data": Dataset("data/rows.csv"),
    }
    assert definition.resolve_params({"epochs": 3, "rate": 0.1})["rate"] == 0.1


def test_unknown_parameter_lists_the_known_ones() -> None:
    definition = pipeline(flow_with_params)
    with pytest.raises(
        UnknownParameterError,
        match=r"'flow_with_params' has no parameter 'lr' \(parameters: epochs, rate, data\)",
    ):
        definition.resolve_params({"epochs": 1, "lr": 0.1})


def test_missing_required_parameter_says_how_to_pass_it() -> None:
    definition = pipeline(flow_with_params)
    with pytest.raises(MissingParameterError, match=r"needs a value for 'epochs': pass -p epochs="):
        definition.resolve_params({})


def test_string_override_of_a_dataset_parameter_is_a_dataset() -> None:
    values = pipeline(flow_with_params).resolve_params({"epochs": 1, "data": "data/other.csv"})
    assert values["data"] == Dataset("data/other.csv")


def test_string_override_of_a_dataset_parameter_is_validated() -> None:
    definition = pipeline(flow_with_params)
    with pytest.raises(InvalidDatasetError, match="must be inside the project"):
        definition.resolve_params({"epochs": 1, "data": "../outside.csv"})


def test_non_json_override_is_an_invalid_parameter() -> None:
    definition = pipeline(flow_with_params)
    with pytest.raises(InvalidParameterError, match="parameter 'rate': not a JSON value"):
        definition.resolve_params({"epochs": 1, "rate": float("nan")})


def test_pipeline_decorator_with_arguments() -> None:
    definition = pipeline(name="training", model=Model("m"))(flow_with_params)
    assert isinstance(definition, Pipeline)
    assert (definition.name, definition.model, definition.func) == (
        "training",
        Model("m"),
        flow_with_params,
    )


def test_calling_a_pipeline_directly_says_to_use_repro_run() -> None:
    with pytest.raises(UsageError, match=r"`repro run FILE.py:flow_with_params`"):
        pipeline(flow_with_params)(epochs=1)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("200", 200),
        ("0.5", 0.5),
        ("true", True),
        ("[1, 2]", [1, 2]),
        ("abc", "abc"),
        ("", ""),
        ("  ", ""),
        ("a: [", "a: ["),
    ],
)
def test_parse_param_value_reads_values_like_yaml(text: str, value: object) -> None:
    parsed = parse_param_value(text)
    assert parsed == value
    assert type(parsed) is type(value)


# Shell steps -------------------------------------------------------------------------------------


def test_sh_outside_a_pipeline_is_refused() -> None:
    with pytest.raises(NotInPipelineError, match=r"repro.sh can only be called inside a @pipeline"):
        sh("echo hi")


def test_sh_deps_on_an_earlier_out_are_edges() -> None:
    def flow() -> None:
        sh("python prepare.py", deps=["data/raw.csv"], outs=["data/prepared/"], name="prepare")
        sh("python train.py", deps=["data/prepared", "data/prepared/train.csv"], name="train")

    graph = build(flow)
    assert graph.nodes["prepare"].args == {"dep_0": DatasetRef("data/raw.csv")}
    assert graph.nodes["prepare"].outs == ("data/prepared",)
    assert graph.nodes["train"].args == {
        "dep_0": OutputRef("prepare", "data/prepared"),
        "dep_1": OutputRef("prepare", "data/prepared"),
    }
    assert graph.nodes["train"].upstream == ["prepare"]


def test_sh_returns_one_placeholder_per_out() -> None:
    seen: dict[str, Any] = {}

    def flow() -> None:
        seen["outs"] = sh("make", outs=["./build/a.bin", "build/b.bin"])

    graph = build(flow)
    assert seen["outs"] == (StepOutput("make", "build/a.bin"), StepOutput("make", "build/b.bin"))
    assert graph.nodes["make"].outputs == ("build/a.bin", "build/b.bin")
    assert graph.nodes["make"].output_mode == "files"


def test_sh_deps_accept_datasets_and_step_outputs() -> None:
    def flow(data: Dataset = Dataset("s3://bucket/rows.csv")) -> None:
        values = scale([1])
        sh("python report.py", deps=[data, values, "reports/template.md"], name="report")

    args = build(flow).nodes["report"].args
    assert args == {
        "dep_0": DatasetRef("s3://bucket/rows.csv"),
        "dep_1": OutputRef("scale", "output"),
        "dep_2": DatasetRef("reports/template.md"),
    }


def test_sh_fills_params_into_the_command() -> None:
    def flow(epochs: int = 3) -> None:
        sh("python train.py --epochs {epochs}", params={"epochs": epochs})

    node = build(flow, epochs=7).nodes["python"]
    assert node.command == "python train.py --epochs 7"
    assert node.template == "python train.py --epochs {epochs}"
    assert node.args == {"epochs": Literal(7)}


def test_sh_unknown_field_in_the_command_is_refused() -> None:
    def flow() -> None:
        sh("python train.py --epochs {x}", params={"epochs": 1}, name="train")

    with pytest.raises(
        InvalidStepArgumentError, match="step 'train', argument 'command': no param"
    ):
        build(flow)


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside", "data/../../outside"])
def test_sh_paths_outside_the_project_are_refused(path: str) -> None:
    def flow() -> None:
        sh("cat", deps=[path])

    with pytest.raises(
        InvalidStepArgumentError, match="paths must be relative, inside the project"
    ):
        build(flow)


@pytest.mark.parametrize("path", ["/tmp/out", "../out"])
def test_sh_outs_outside_the_project_are_refused(path: str) -> None:
    def flow() -> None:
        sh("touch x", outs=[path])

    with pytest.raises(
        InvalidStepArgumentError, match="paths must be relative, inside the project"
    ):
        build(flow)


def test_sh_literal_dep_is_refused() -> None:
    def flow() -> None:
        sh("cat", deps=[3], name="cat")  # type: ignore[list-item]

    with pytest.raises(
        InvalidStepArgumentError, match=r"deps\[0\]': give a path, Dataset or output"
    ):
        build(flow)


# Datasets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("", "give a path or URL"),
        ("/data/rows.csv", "must be inside the project"),
        ("../rows.csv", "must be inside the project"),
        ("data/../../rows.csv", "must be inside the project"),
    ],
)
def test_invalid_datasets_are_refused(uri: str, reason: str) -> None:
    with pytest.raises(InvalidDatasetError, match=reason):
        Dataset(uri)


@pytest.mark.parametrize(
    ("uri", "remote"),
    [
        ("s3://bucket/rows.csv", True),
        ("gs://bucket/folder", True),
        ("file://data/rows.csv", False),
        ("data/rows.csv", False),
    ],
)
def test_dataset_is_remote_for_urls_other_than_file(uri: str, remote: bool) -> None:
    assert Dataset(uri).is_remote is remote


@pytest.mark.parametrize("out", ["", ".", "./", ".git", ".git/hooks", ".repro", "./.repro/cache"])
def test_sh_outs_never_name_the_project_git_or_repro(out: str) -> None:
    # Outs are deleted before their step runs.
    def flow() -> None:
        sh("make", outs=[out])

    with pytest.raises(InvalidStepArgumentError, match="not the project folder itself"):
        build(flow)


def test_a_mistake_in_the_pipeline_body_names_its_line() -> None:
    @step
    def one() -> int:
        return 1

    def flow() -> None:
        _first, _second = one()

    with pytest.raises(UsageError, match="step 'one' has one output"):
        build(flow)

    def broken() -> None:
        one() + undefined_name  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(UsageError, match=r"NameError.*undefined_name.*test_definition.py, line"):
        build(broken)


def test_a_dataset_a_shell_step_writes_is_that_steps_output() -> None:
    @step
    def read(path: Any) -> str:
        return str(path)

    def flow() -> None:
        sh("make", outs=["build/x.txt"], name="make")
        read(Dataset("build/x.txt"))

    graph = build(flow)
    assert graph.nodes["read"].args["path"] == OutputRef("make", "build/x.txt")
    assert "build/x.txt" not in graph.datasets
