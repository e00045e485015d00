"""Trees: the canonical, validated manifest of a folder."""

from __future__ import annotations

import json
from typing import Any

import pytest
import xxhash
from hypothesis import given
from hypothesis import strategies as st

from repro.hashing import algorithm_names, canonical_dumps, get_algorithm
from repro.store import InvalidTreeError, Tree, TreeEntry
from repro.store.tree import TREE_FORMAT

OID = xxhash.xxh3_128_hexdigest(b"blob")


def entry(path: str, size: int = 1, executable: bool = False, oid: str = OID) -> TreeEntry:
    return TreeEntry(path, oid, size, executable)


def manifest(rows: list[list[Any]], fmt: Any = TREE_FORMAT, algorithm: str = "xxh3-128") -> bytes:
    return canonical_dumps({"algorithm": algorithm, "entries": rows, "format": fmt})


# strategies: valid trees

_FORBIDDEN = {".", "..", ".git", ".repro"}
part = st.text(
    st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]),
    min_size=1,
    max_size=6,
).filter(lambda name: name not in _FORBIDDEN)
path = st.lists(part, min_size=1, max_size=3).map("/".join)


def without_folder_files(paths: list[str]) -> list[str]:
    """Drop each path that another path lies inside (a file cannot be a folder)."""
    return [p for p in paths if not any(other.startswith(p + "/") for other in paths)]


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    algorithm = draw(st.sampled_from(algorithm_names()))
    digest_size = get_algorithm(algorithm).hex_length // 2
    paths = without_folder_files(draw(st.lists(path, unique=True, max_size=12)))
    entries = [
        TreeEntry(
            p,
            draw(st.binary(min_size=digest_size, max_size=digest_size)).hex(),
            draw(st.integers(min_value=0, max_value=2**63)),
            draw(st.booleans()),
        )
        for p in paths
    ]
    return Tree.build(algorithm, entries)


# building


def test_build_sorts_entries_by_path() -> None:
    tree = Tree.build("xxh3-128", [entry("b"), entry("a/z"), entry("a-x"), entry("B")])
    assert [e.path for e in tree.entries] == ["B", "a-x", "a/z", "b"]


@given(st.data())
def test_id_does_not_depend_on_entry_order(data: st.DataObject) -> None:
    tree = data.draw(trees())
    shuffled = data.draw(st.permutations(tree.entries))
    assert Tree.build(tree.algorithm, shuffled).oid == tree.oid


def test_id_depends_on_every_field() -> None:
    base = Tree.build("xxh3-128", [entry("a")]).oid
    changed = [
        Tree.build("xxh3-128", [entry("b")]),
        Tree.build("xxh3-128", [entry("a", size=2)]),
        Tree.build("xxh3-128", [entry("a", executable=True)]),
        Tree.build("xxh3-128", [entry("a", oid=xxhash.xxh3_128_hexdigest(b"other"))]),
    ]
    assert base not in {tree.oid for tree in changed}


def test_size_and_length_sum_the_entries() -> None:
    tree = Tree.build("xxh3-128", [entry("a", size=3), entry("b", size=4)])
    assert (tree.size, len(tree)) == (7, 2)


def test_as_dict_maps_paths_to_entries() -> None:
    tree = Tree.build("xxh3-128", [entry("a"), entry("b/c")])
    assert tree.as_dict() == {"a": entry("a"), "b/c": entry("b/c")}


# serialization


@given(trees())
def test_bytes_round_trip(tree: Tree) -> None:
    assert Tree.from_bytes(tree.to_bytes()) == tree


@given(trees())
def test_bytes_are_canonical_json(tree: Tree) -> None:
    rows = [[e.path, e.oid, e.size, e.executable] for e in tree.entries]
    assert tree.to_bytes() == manifest(rows, algorithm=tree.algorithm)


def test_id_is_the_hash_of_the_bytes() -> None:
    tree = Tree.build("sha256", [entry("a", oid="0" * 64)])
    assert tree.oid == get_algorithm("sha256").hexdigest(tree.to_bytes())


def test_bytes_keep_text_as_utf8() -> None:
    tree = Tree.build("xxh3-128", [entry("données/été.csv")])
    assert "données/été.csv".encode() in tree.to_bytes()


# refusing bad trees

BAD_PATHS = [
    "../x",
    "a/../../x",
    "..",
    "/abs",
    "a//b",
    "a/",
    "",
    "a/./b",
    "./a",
    ".git/hooks/pre-commit",
    "sub/.git/config",
    ".repro/config",
    "a\x00b",
]


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_from_bytes_refuses_a_bad_path(bad: str) -> None:
    with pytest.raises(InvalidTreeError, match="is not a valid tree: bad path"):
        Tree.from_bytes(manifest([[bad, OID, 1, False]]))


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_build_refuses_a_bad_path(bad: str) -> None:
    with pytest.raises(InvalidTreeError, match="bad path"):
        Tree.build("xxh3-128", [entry("fine"), entry(bad)])


def test_from_bytes_refuses_a_duplicate_path() -> None:
    rows = [["a", OID, 1, False], ["a", OID, 2, True]]
    with pytest.raises(InvalidTreeError, match="a path is listed twice"):
        Tree.from_bytes(manifest(rows))


@pytest.mark.parametrize(
    "paths",
    [["a", "a/b"], ["a", "a-x", "a/b"], ["a/b", "a"], ["a", "a/b/c"], ["x/a", "x/a-x", "x/a/b"]],
)
def test_from_bytes_refuses_a_file_that_is_also_a_folder(paths: list[str]) -> None:
    rows = [[p, OID, 1, False] for p in paths]
    with pytest.raises(InvalidTreeError, match=r"lies inside the file '(x/)?a'"):
        Tree.from_bytes(manifest(rows))


def test_sibling_with_a_common_prefix_is_not_a_folder() -> None:
    tree = Tree.from_bytes(
        manifest([["a", OID, 1, False], ["a-x/b", OID, 1, False], ["ab", OID, 1, False]])
    )
    assert len(tree) == 3


@pytest.mark.parametrize("bad", ["A" * 32, "a" * 31, "g" * 32, "a" * 64, "../" + "a" * 29])
def test_from_bytes_refuses_a_bad_oid(bad: str) -> None:
    with pytest.raises(InvalidTreeError, match="bad xxh3-128 id"):
        Tree.from_bytes(manifest([["a", bad, 1, False]]))


def test_from_bytes_refuses_a_negative_size() -> None:
    with pytest.raises(InvalidTreeError, match="negative size for 'a'"):
        Tree.from_bytes(manifest([["a", OID, -1, False]]))


@pytest.mark.parametrize("size", [b"Infinity", b"-Infinity", b"NaN", b"1e400"])
def test_from_bytes_refuses_a_size_that_is_no_integer(size: bytes) -> None:
    data = b'{"algorithm":"xxh3-128","entries":[["a","%s",%s,false]],"format":"repro.tree/v1"}'
    with pytest.raises(InvalidTreeError, match=r"non-finite number|must be an integer"):
        Tree.from_bytes(data % (OID.encode(), size))


@pytest.mark.parametrize("row", [["a", OID, 1], ["a", OID, 1, False, "extra"], 5, None])
def test_from_bytes_refuses_a_malformed_entry(row: Any) -> None:
    with pytest.raises(InvalidTreeError, match="malformed entries"):
        Tree.from_bytes(manifest([row]))


def test_from_bytes_refuses_a_manifest_without_entries() -> None:
    data = canonical_dumps({"algorithm": "xxh3-128", "format": TREE_FORMAT})
    with pytest.raises(InvalidTreeError, match="malformed entries"):
        Tree.from_bytes(data)


def test_from_bytes_refuses_an_unknown_algorithm() -> None:
    with pytest.raises(InvalidTreeError, match="unknown hash algorithm 'sha1'"):
        Tree.from_bytes(manifest([], algorithm="sha1"))


@pytest.mark.parametrize("version", ["repro.tree/v2", "repro.tree/v10"])
def test_unknown_format_version_asks_to_upgrade(version: str) -> None:
    with pytest.raises(InvalidTreeError, match=rf"unknown format '{version}' \(upgrade repro\?\)"):
        Tree.from_bytes(manifest([], fmt=version))


@pytest.mark.parametrize("doc", [[], {"entries": []}, "repro.tree/v1", None])
def test_json_that_is_not_a_tree_is_refused(doc: Any) -> None:
    with pytest.raises(InvalidTreeError, match=r"is not a valid tree: not a tree$"):
        Tree.from_bytes(json.dumps(doc).encode())


@pytest.mark.parametrize("data", [b"", b"{", b"\xff\xfe", b"blob bytes"])
def test_bytes_that_are_not_json_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidTreeError, match="not a tree manifest"):
        Tree.from_bytes(data)


def test_error_names_the_tree_object() -> None:
    tree_oid = xxhash.xxh3_128_hexdigest(b"tree")
    with pytest.raises(
        InvalidTreeError, match=rf"^object {tree_oid} is not a valid tree: bad path"
    ):
        Tree.from_bytes(manifest([["../x", OID, 1, False]]), tree_oid)


def test_build_without_check_accepts_what_it_is_given() -> None:
    tree = Tree.build("xxh3-128", [entry("b"), entry("../a")], check=False)
    assert [e.path for e in tree.entries] == ["../a", "b"]
