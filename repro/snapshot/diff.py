"""diff: which files two trees add, remove or change."""

from __future__ import annotations

from dataclasses import dataclass, field

from repro.store import Tree, TreeEntry

__all__ = ["Change", "TreeDiff", "diff_trees"]


@dataclass(frozen=True)
class Change:
    path: str
    old: TreeEntry
    new: TreeEntry


@dataclass(frozen=True)
class TreeDiff:
    added: list[TreeEntry] = field(default_factory=list)
    removed: list[TreeEntry] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_trees(old: Tree, new: Tree) -> TreeDiff:
    """Changes from ``old`` to ``new``; a change of only the executable bit counts."""
    before, after = old.as_dict(), new.as_dict()
    added = [after[path] for path in sorted(after.keys() - before.keys())]
    removed = [before[path] for path in sorted(before.keys() - after.keys())]
    changed = [
        Change(path, before[path], after[path])
        for path in sorted(before.keys() & after.keys())
        if (before[path].oid, before[path].executable) != (after[path].oid, after[path].executable)
    ]
    unchanged = len(before.keys() & after.keys()) - len(changed)
    return TreeDiff(added, removed, changed, unchanged)
