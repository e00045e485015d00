"""Which objects a run needs, so that it can be replayed elsewhere: its
record, its data snapshots, its outputs and its uncommitted diff. Push, pull
and gc all start from here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from repro.hashing import canonical_dumps, get_algorithm
from repro.lineage.records import RunRecord
from repro.store import ObjectStore, read_tree

__all__ = ["RunObjects", "record_oid", "run_objects", "tree_blobs"]


@dataclass
class RunObjects:
    """A run's objects by kind: blobs travel first, then the trees that list
    them, then the records, so that a store holding a tree or a record
    holds everything below it."""

    blobs: set[str] = field(default_factory=set)
    trees: set[str] = field(default_factory=set)
    records: set[str] = field(default_factory=set)

    def update(self, other: RunObjects) -> None:
        self.blobs |= other.blobs
        self.trees |= other.trees
        self.records |= other.records

    def all(self) -> set[str]:
        return self.blobs | self.trees | self.records


def record_oid(record: RunRecord, algorithm: str) -> str:
    """The id the record is stored under (its canonical JSON)."""
    return get_algorithm(algorithm).hexdigest(canonical_dumps(record.to_json_dict()))


def run_objects(record: RunRecord, algorithm: str) -> RunObjects:
    """The objects a record names directly; trees are not opened here."""
    found = RunObjects(records={record_oid(record, algorithm)})
    if record.git.diff:
        found.blobs.add(record.git.diff)
    for snapshot in record.inputs.values():
        # A reference snapshot is a manifest (a blob); its data stays where it is.
        (found.blobs if snapshot.mode == "reference" else found.trees).add(snapshot.oid)
    for step in record.steps.values():
        if step.log:  # what a container step printed
            found.blobs.add(step.log)
        for artifact in [*step.outputs.values(), *step.artifacts.values()]:
            (found.trees if artifact.kind == "tree" else found.blobs).add(artifact.oid)
    return found


def tree_blobs(store: ObjectStore, trees: Iterable[str]) -> set[str]:
    """The blobs the given trees list (the trees must be in ``store``)."""
    blobs: set[str] = set()
    for oid in trees:
        blobs.update(entry.oid for entry in read_tree(store, oid).entries)
    return blobs
