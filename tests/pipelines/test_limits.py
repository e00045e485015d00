"""A step's container limits: parsed once, checked, kept out of its key."""

from __future__ import annotations

import pytest

from repro import step
from repro.pipelines.graph import InvalidStepArgumentError, Limits
from repro.pipelines.steps import step_limits


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (1024, 1024),
        ("512m", 512 * 1024**2),
        ("2g", 2 * 1024**3),
        ("1.5GiB", int(1.5 * 1024**3)),
        ("64MB", 64 * 1024**2),
        ("100", 100),
    ],
)
def test_memory_is_bytes_or_a_docker_style_size(given: int | str, expected: int) -> None:
    assert step_limits("s", False, None, given, None).memory == expected


@pytest.mark.parametrize("given", ["lots", "-1m", "0", "12x", True])
def test_a_memory_that_is_no_size_is_refused(given: object) -> None:
    with pytest.raises(InvalidStepArgumentError, match="is not a size"):
        step_limits("s", False, None, given, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("label", ["cpus", "timeout"])
@pytest.mark.parametrize("value", [0, -2.5, True])
def test_cpus_and_timeout_must_be_positive(label: str, value: object) -> None:
    given = {"cpus": None, "timeout": None, label: value}
    with pytest.raises(InvalidStepArgumentError, match="give a positive number"):
        step_limits("s", False, given["cpus"], None, given["timeout"])  # type: ignore[arg-type]


def test_the_decorator_keeps_the_limits_beside_the_function() -> None:
    @step(network=True, cpus=0.5, memory="1g", timeout=30)
    def fetch() -> int:
        return 1

    assert fetch.limits == Limits(network=True, cpus=0.5, memory=1024**3, timeout=30.0)
    assert fetch() == 1


def test_no_limits_by_default_and_no_network() -> None:
    @step
    def plain() -> int:
        return 1

    assert plain.limits == Limits()
