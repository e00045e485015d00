"""Trees in a store: write_tree and read_tree."""

from __future__ import annotations

import pytest
import xxhash

from repro.store import (
    InvalidTreeError,
    ObjectNotFoundError,
    ObjectStore,
    Tree,
    TreeEntry,
    TreeNotFoundError,
    read_tree,
    write_tree,
)
from repro.store.trees import is_tree_bytes


def make_tree(store: ObjectStore) -> Tree:
    with store.batch() as batch:
        entries = [TreeEntry(f"data/{i}.csv", batch.add(b"row %d" % i), 5) for i in range(3)]
    return Tree.build(store.algorithm.name, entries)


def test_written_tree_reads_back_equal(store: ObjectStore) -> None:
    tree = make_tree(store)
    assert read_tree(store, write_tree(store, tree)) == tree


def test_write_tree_returns_the_tree_id(store: ObjectStore) -> None:
    tree = make_tree(store)
    assert write_tree(store, tree) == tree.oid


def test_write_tree_refuses_a_tree_of_another_algorithm(store: ObjectStore) -> None:
    tree = Tree.build("md5", [TreeEntry("a", "0" * 32, 1)])
    with pytest.raises(InvalidTreeError, match="tree uses md5, store uses xxh3-128"):
        write_tree(store, tree)


def test_read_tree_of_a_missing_tree_says_how_to_get_it(store: ObjectStore) -> None:
    oid = xxhash.xxh3_128_hexdigest(b"no such tree")
    pattern = rf"^tree {oid} is not in the store at .+ \(snapshot it first, or pull it\)$"
    with pytest.raises(TreeNotFoundError, match=pattern):
        read_tree(store, oid)


def test_tree_not_found_is_an_object_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError, match="is not in the store"):
        read_tree(store, xxhash.xxh3_128_hexdigest(b"no such tree"))


def test_read_tree_of_a_blob_says_it_is_no_tree(store: ObjectStore) -> None:
    oid = store.write(b"just a blob")
    with pytest.raises(InvalidTreeError, match=rf"^object {oid} is not a valid tree"):
        read_tree(store, oid)


def test_tree_bytes_are_recognised(store: ObjectStore) -> None:
    assert is_tree_bytes(make_tree(store).to_bytes())


@pytest.mark.parametrize("data", [b"", b"blob", b'{"algorithm":"xxh3-128"}', b'{"a":1}'])
def test_other_bytes_are_not_tree_bytes(data: bytes) -> None:
    assert not is_tree_bytes(data)
