"""The errors say what is wrong and what to do, and survive a process boundary."""

from __future__ import annotations

import pickle

import pytest

from repro.errors import ReproError
from repro.materialize import (
    MaterializeError,
    NoMaterializerError,
    PickleNotAllowedError,
    UnknownMaterializerError,
)


def test_no_materializer_names_the_type_and_how_to_register() -> None:
    error = NoMaterializerError("foo.Bar")
    assert str(error) == (
        "a foo.Bar, which no materializer handles; register one with "
        "@repro.materialize.register (a BytesMaterializer subclass), or set "
        "allow_pickle = true under [materialize] in .repro/config.toml"
    )


def test_with_step_names_the_step() -> None:
    error = NoMaterializerError("foo.Bar").with_step("train")
    assert str(error).startswith("step 'train' returned a foo.Bar, which no materializer handles")
    assert (error.type_name, error.step) == ("foo.Bar", "train")


def test_with_step_leaves_the_original_alone() -> None:
    error = NoMaterializerError("foo.Bar")
    error.with_step("train")
    assert error.step is None


def test_no_materializer_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"foo\.Bar"):
        raise NoMaterializerError("foo.Bar")


def test_unknown_materializer_is_a_lookup_error() -> None:
    with pytest.raises(LookupError, match=r"'torch\.pt'"):
        raise UnknownMaterializerError("torch.pt", ["json"])


def test_materialize_error_says_what_and_why() -> None:
    error = MaterializeError("json", "builtins.float", "non-finite float nan")
    assert str(error) == (
        "cannot store a builtins.float with materializer 'json': non-finite float nan"
    )


def test_pickle_refusal_says_how_to_opt_in() -> None:
    with pytest.raises(ReproError, match=r"allow_pickle = true under \[materialize\]"):
        raise PickleNotAllowedError("load", "ab12")


@pytest.mark.parametrize(
    "error",
    [
        NoMaterializerError("foo.Bar", "train"),
        UnknownMaterializerError("torch.pt", ["json"]),
        MaterializeError("json", "builtins.float", "nan"),
        PickleNotAllowedError("load", "ab12"),
    ],
    ids=type,
)
def test_errors_cross_a_process_boundary(error: ReproError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.__dict__) == (type(error), str(error), error.__dict__)
