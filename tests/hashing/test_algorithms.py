"""Each algorithm matches its reference implementation, behind one interface."""

from __future__ import annotations

import hashlib
import itertools
import subprocess
import sys
from collections.abc import Callable

import blake3
import pytest
import xxhash
from hypothesis import given
from hypothesis import strategies as st

from repro.hashing import (
    DEFAULT_ALGORITHM,
    UnknownAlgorithmError,
    algorithm_names,
    get_algorithm,
    new,
)

REFERENCE: dict[str, Callable[[bytes], str]] = {
    "xxh3-128": xxhash.xxh3_128_hexdigest,
    "md5": lambda data: hashlib.md5(data).hexdigest(),
    "sha256": lambda data: hashlib.sha256(data).hexdigest(),
    "blake3": lambda data: blake3.blake3(data).hexdigest(),
}
KNOWN = "blake3, md5, sha256, xxh3-128"

algorithms = pytest.mark.parametrize("name", sorted(REFERENCE))


def test_every_algorithm_has_a_reference() -> None:
    assert algorithm_names() == sorted(REFERENCE)


def test_default_is_xxh3_128() -> None:
    assert DEFAULT_ALGORITHM == "xxh3-128"
    assert get_algorithm().name == "xxh3-128"


@algorithms
@given(data=st.binary(max_size=4096))
def test_hexdigest_matches_the_reference(name: str, data: bytes) -> None:
    assert get_algorithm(name).hexdigest(data) == REFERENCE[name](data)


@algorithms
def test_hexdigest_of_known_bytes(name: str) -> None:
    known = {
        "xxh3-128": "99aa06d3014798d86001c324468d497f",
        "md5": "d41d8cd98f00b204e9800998ecf8427e",
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "blake3": "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
    }
    assert get_algorithm(name).hexdigest(b"") == known[name]


@algorithms
def test_hexdigest_accepts_a_memoryview(name: str) -> None:
    data = bytes(range(256)) * 3
    assert get_algorithm(name).hexdigest(memoryview(data)[10:500]) == REFERENCE[name](data[10:500])


@algorithms
@given(data=st.binary(max_size=4096), cuts=st.lists(st.integers(min_value=0, max_value=4096)))
def test_update_in_pieces_equals_one_shot(name: str, data: bytes, cuts: list[int]) -> None:
    hasher = new(name)
    bounds = [0, *sorted(cut % (len(data) + 1) for cut in cuts), len(data)]
    for start, end in itertools.pairwise(bounds):
        hasher.update(data[start:end])
    assert hasher.hexdigest() == REFERENCE[name](data)


@algorithms
def test_new_with_data_hashes_it(name: str) -> None:
    assert new(name, b"payload").hexdigest() == REFERENCE[name](b"payload")


@algorithms
def test_digest_is_the_hex_digest_as_bytes(name: str) -> None:
    hasher = new(name, b"payload")
    assert hasher.digest().hex() == hasher.hexdigest()
    assert hasher.digest_size * 2 == get_algorithm(name).hex_length


@algorithms
def test_hex_length_is_the_length_of_an_id(name: str) -> None:
    algorithm = get_algorithm(name)
    assert len(algorithm.hexdigest(b"x")) == algorithm.hex_length


@algorithms
def test_an_id_of_the_algorithm_is_valid(name: str) -> None:
    algorithm = get_algorithm(name)
    assert algorithm.is_valid_oid(algorithm.hexdigest(b"x"))


@algorithms
@pytest.mark.parametrize(
    "mangle",
    [
        str.upper,
        lambda oid: oid[:-1],
        lambda oid: oid + "0",
        lambda oid: "g" + oid[1:],
        lambda oid: oid[:-1] + "\n",
    ],
    ids=["upper", "short", "long", "non-hex", "newline"],
)
def test_a_mangled_id_is_invalid(name: str, mangle: Callable[[str], str]) -> None:
    algorithm = get_algorithm(name)
    assert not algorithm.is_valid_oid(mangle(algorithm.hexdigest(b"x")))


def test_unknown_algorithm_lists_the_known_ones() -> None:
    with pytest.raises(
        UnknownAlgorithmError, match=rf"^unknown hash algorithm 'sha1' \(known: {KNOWN}\)$"
    ):
        get_algorithm("sha1")


def test_new_of_an_unknown_algorithm_raises() -> None:
    with pytest.raises(UnknownAlgorithmError, match="unknown hash algorithm 'XXH3-128'"):
        new("XXH3-128")


def test_unknown_algorithm_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown hash algorithm"):
        get_algorithm("")


def test_blake3_without_its_package_says_what_to_install() -> None:
    script = (
        "import sys; sys.modules['blake3'] = None\n"
        "from repro.hashing import get_algorithm\n"
        "get_algorithm('blake3')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert (
        "UnknownAlgorithmError: hash algorithm 'blake3' needs the extra: pip install" in done.stderr
    )
