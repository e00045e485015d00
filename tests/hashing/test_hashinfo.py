"""HashInfo: an id with the name of the algorithm that made it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repro.hashing import HashInfo, UnknownAlgorithmError, algorithm_names, get_algorithm
from repro.hashing.hashinfo import InvalidHashInfoError

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@st.composite
def hash_infos(draw: st.DrawFn) -> HashInfo:
    name = draw(st.sampled_from(algorithm_names()))
    size = get_algorithm(name).hex_length // 2
    return HashInfo(name, draw(st.binary(min_size=size, max_size=size)).hex())


@given(hash_infos())
def test_str_parses_back(info: HashInfo) -> None:
    assert HashInfo.parse(str(info)) == info


@given(hash_infos())
def test_dict_round_trip(info: HashInfo) -> None:
    assert HashInfo.from_dict(info.to_dict()) == info


def test_str_is_algorithm_colon_id() -> None:
    assert str(HashInfo("md5", MD5)) == f"md5:{MD5}"


def test_parse_without_an_algorithm_is_refused() -> None:
    with pytest.raises(
        InvalidHashInfoError, match=f"invalid object id '{MD5}': expected ALGORITHM:HEX"
    ):
        HashInfo.parse(MD5)


@pytest.mark.parametrize(
    "text",
    [
        f"md5:{MD5.upper()}",
        f"md5:{MD5[:-1]}",
        f"md5:{MD5}0",
        "md5:",
        f"sha256:{MD5}",
        f"md5:{MD5[:-2]}/.",
    ],
)
def test_parse_of_a_malformed_id_is_refused(text: str) -> None:
    algorithm = text.partition(":")[0]
    with pytest.raises(InvalidHashInfoError, match=f"invalid object id .*: not a {algorithm} id"):
        HashInfo.parse(text)


def test_parse_of_an_unknown_algorithm_is_refused() -> None:
    with pytest.raises(UnknownAlgorithmError, match="unknown hash algorithm 'sha1'"):
        HashInfo.parse(f"sha1:{MD5}")


def test_constructor_validates_too() -> None:
    with pytest.raises(InvalidHashInfoError, match="not a xxh3-128 id"):
        HashInfo("xxh3-128", "../../etc/passwd")


def test_hash_infos_sort_by_algorithm_then_id() -> None:
    infos = [HashInfo("md5", "f" * 32), HashInfo("md5", "0" * 32), HashInfo("blake3", "1" * 64)]
    assert [str(info)[:8] for info in sorted(infos)] == ["blake3:1", "md5:0000", "md5:ffff"]
