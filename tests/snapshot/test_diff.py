from __future__ import annotations

from repro.snapshot import diff_trees
from repro.store import Tree, TreeEntry

A, B, C = "a" * 32, "b" * 32, "c" * 32


def _tree(*entries: TreeEntry) -> Tree:
    return Tree.build("xxh3-128", entries)


def test_added_removed_changed_unchanged() -> None:
    old = _tree(TreeEntry("keep", A, 1), TreeEntry("gone", B, 1), TreeEntry("edit", A, 1))
    new = _tree(TreeEntry("keep", A, 1), TreeEntry("edit", B, 2), TreeEntry("new", C, 1))
    change = diff_trees(old, new)
    assert [e.path for e in change.added] == ["new"]
    assert [e.path for e in change.removed] == ["gone"]
    assert [(c.path, c.old.oid, c.new.oid) for c in change.changed] == [("edit", A, B)]
    assert change.unchanged == 1 and not change.empty


def test_executable_bit_alone_is_a_change() -> None:
    change = diff_trees(_tree(TreeEntry("x", A, 1)), _tree(TreeEntry("x", A, 1, True)))
    assert [c.path for c in change.changed] == ["x"]


def test_identical_trees_are_empty() -> None:
    tree = _tree(TreeEntry("x", A, 1))
    assert diff_trees(tree, tree).empty
