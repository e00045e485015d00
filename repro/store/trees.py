"""Reading and writing trees in a store (the store itself never parses)."""

from __future__ import annotations

from repro.store.errors import ObjectNotFoundError
from repro.store.objects import ObjectStore
from repro.store.tree import InvalidTreeError, Tree

__all__ = ["TREE_PREFIX", "is_tree_bytes", "read_tree", "write_tree"]

TREE_PREFIX = b'{"algorithm":'


def is_tree_bytes(data: bytes) -> bool:
    return data.startswith(TREE_PREFIX) and b'"format":"repro.tree/' in data[-40:]


def write_tree(store: ObjectStore, tree: Tree) -> str:
    """Store ``tree``, whose blobs must already be stored; returns its id."""
    if tree.algorithm != store.algorithm.name:
        raise InvalidTreeError(f"tree uses {tree.algorithm}, store uses {store.algorithm.name}")
    return store.write(tree.to_bytes())


def read_tree(store: ObjectStore, oid: str) -> Tree:
    try:
        data = store.read(oid)
    except ObjectNotFoundError as exc:
        raise TreeNotFoundError(oid, store.backend.root) from exc
    return Tree.from_bytes(data, oid)


class TreeNotFoundError(ObjectNotFoundError):
    def __init__(self, oid: str, store: str) -> None:
        super().__init__(oid, store)
        self.args = (f"tree {oid} is not in the store at {store} (snapshot it first, or pull it)",)
