from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repro.materialize import Artifact, InvalidArtifactError, MaterializeOptions

_GOOD = {
    "oid": "0123456789abcdef0123456789abcdef",
    "kind": "blob",
    "materializer": "json",
    "version": "1",
    "type": "builtins.int",
    "size": 1,
}

_names = st.text(st.characters(codec="utf-8"), min_size=1)


@given(
    oid=st.text("0123456789abcdef", min_size=1),
    kind=st.sampled_from(["blob", "tree"]),
    materializer=_names,
    version=_names,
    type_=_names,
    size=st.integers(min_value=0),
)
def test_dict_round_trip(
    oid: str, kind: str, materializer: str, version: str, type_: str, size: int
) -> None:
    artifact = Artifact(oid, kind, materializer, version, type_, size)
    assert Artifact.from_dict(artifact.to_dict()) == artifact


def test_to_dict_has_every_field() -> None:
    assert Artifact.from_dict(_GOOD).to_dict() == _GOOD


def test_missing_key_is_refused() -> None:
    data = {key: value for key, value in _GOOD.items() if key != "version"}
    with pytest.raises(InvalidArtifactError, match=r"missing keys \['version'\]"):
        Artifact.from_dict(data)


def test_unexpected_key_is_refused() -> None:
    with pytest.raises(InvalidArtifactError, match=r"unexpected keys \['extra'\]"):
        Artifact.from_dict({**_GOOD, "extra": 1})


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidArtifactError, match="kind must be one of blob, tree"):
        Artifact.from_dict({**_GOOD, "kind": "pack"})


def test_non_hex_oid_is_refused() -> None:
    with pytest.raises(InvalidArtifactError, match="oid must be lowercase hex"):
        Artifact.from_dict({**_GOOD, "oid": "../../etc/passwd"})


@pytest.mark.parametrize("size", [-1, True, "3", 1.0])
def test_bad_size_is_refused(size: object) -> None:
    with pytest.raises(InvalidArtifactError, match="size must be a non-negative integer"):
        Artifact.from_dict({**_GOOD, "size": size})


@pytest.mark.parametrize("value", ["", 3, None])
def test_bad_text_field_is_refused(value: object) -> None:
    with pytest.raises(InvalidArtifactError, match="materializer must be a non-empty string"):
        Artifact.from_dict({**_GOOD, "materializer": value})


def test_options_default_to_no_pickle() -> None:
    assert MaterializeOptions() == MaterializeOptions(False, "xxh3-128", None)
