from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from repro.images.errors import WheelhouseError
from repro.images.wheels import (
    TargetPython,
    installed_closure,
    repro_source_root,
    requirements_text,
    target_python,
)

BOOKWORM = {"version": "3.11", "implementation": "cpython", "machine": "x86_64"}


def test_a_glibc_base_takes_every_manylinux_it_can_run() -> None:
    target = target_python("base", {**BOOKWORM, "libc": "glibc 2.36"})
    assert target.platforms[0] == "manylinux_2_36_x86_64"
    assert target.platforms[-2:] == ("manylinux_2_17_x86_64", "manylinux2014_x86_64")
    assert len(target.platforms) == 36 - 17 + 2


def test_the_target_becomes_pip_arguments() -> None:
    target = TargetPython("3.12", "cp", ("manylinux_2_28_aarch64",))
    assert target.pip_args() == [
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        "--platform",
        "manylinux_2_28_aarch64",
    ]


def test_a_base_without_glibc_is_refused() -> None:
    with pytest.raises(WheelhouseError, match="needs CPython on glibc, not cpython on a libc"):
        target_python("alpine:3", {**BOOKWORM, "libc": ""})


def test_the_closure_pins_what_is_installed() -> None:
    closure = installed_closure()
    assert closure["typer"] == version("typer")
    assert closure["pandas"] == version("pandas")  # the installed ml extra


def test_the_closure_follows_requirements_of_requirements() -> None:
    assert installed_closure()["numpy"] == version("numpy")  # via pandas


def test_the_closure_leaves_out_dev_extras_and_repro_itself() -> None:
    closure = installed_closure()
    assert not {"pytest", "mypy", "ruff", "repro-gitops"} & set(closure)


def test_a_missing_distribution_is_an_error() -> None:
    with pytest.raises(WheelhouseError, match="no-such-dist is not installed"):
        installed_closure("no-such-dist")


def test_requirements_text_is_sorted_pins() -> None:
    assert requirements_text({"b": "2", "A": "1"}) == "A==1\nb==2\n"


def test_repro_runs_from_this_checkout() -> None:
    assert repro_source_root() == str(Path(__file__).resolve().parents[2])
