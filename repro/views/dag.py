"""A run's DAG: a node per step (its status, duration and cache decision),
an edge per upstream step, and a node per input data snapshot with edges
to the steps that read it, drawn by ``repro.views.svg_graph``.

The same record always gives the same graph: steps in definition order,
snapshots by name, edges sorted.
"""

from __future__ import annotations

from typing import Final

from repro.lineage.records import RunRecord, StepRecord
from repro.views.formats import human_duration, human_size
from repro.views.graph_model import Edge, Graph, Node
from repro.views.svg_graph import graph_svg

__all__ = ["STATUS_COLOURS", "dag_graph", "dag_svg", "step_anchor", "step_decision"]

# The badge colours of ui.css (--ok, --cached, --failed, --skipped), so that
# a node and its step's badge say the same thing.
STATUS_COLOURS: Final = {
    "executed": "#1f7a3e",
    "cached": "#5b6ab5",
    "failed": "#b3261e",
    "skipped": "#8a8f98",
}
_SNAPSHOT_FILL: Final = "#f4f6f9"
_STROKE: Final = "#17202b"
_STROKE_WIDTH: Final = 0.6


def step_anchor(name: str) -> str:
    """The fragment naming a step's section on the run's page and report."""
    return f"step-{name}"


def step_decision(step: StepRecord) -> str:
    """Why the step did what it did, in one line."""
    if step.status == "cached":
        source = f"the result of run {step.cached_from}" if step.cached_from else "a stored result"
        return f"cached: reused {source}"
    if step.status == "failed":
        first = (step.error or "").strip().splitlines()
        return f"failed: {first[0]}" if first else "failed"
    if step.reason:
        return f"{step.status}: {step.reason}"
    return "executed: caching is off for this step" if not step.cache else step.status


def dag_graph(record: RunRecord) -> Graph:
    """The run's DAG as a graph to draw."""
    ids = {name: f"s{i}" for i, (name, _) in enumerate(record.ordered_steps())}
    snapshots, snapshot_edges = _snapshots(record, ids)
    upstream = {
        (ids[up], ids[name])
        for name, step in record.steps.items()
        for up in step.upstream
        if up in ids and up != name  # a step upstream of itself: only in a hand-made record
    }
    return Graph(
        nodes=(
            *(_step_node(ids[name], name, step) for name, step in record.ordered_steps()),
            *snapshots,
        ),
        edges=(*snapshot_edges, *(Edge(*pair) for pair in sorted(upstream, key=_edge_order))),
    )


def dag_svg(record: RunRecord) -> str:
    """The run's DAG as an inline ``<svg>`` element."""
    return graph_svg(dag_graph(record))


def _step_node(node: str, name: str, step: StepRecord) -> Node:
    label = f"{name}\n{step.status}"
    if step.duration is not None:
        label += f" · {human_duration(step.duration)}"
    return Node(
        node,
        label,
        shape="rounded",
        fill=STATUS_COLOURS[step.status],
        stroke=_STROKE,
        text="#ffffff",
        stroke_width=_STROKE_WIDTH,
        href="#" + step_anchor(name),
        tooltip=step_decision(step),
    )


def _snapshots(record: RunRecord, steps: dict[str, str]) -> tuple[list[Node], list[Edge]]:
    nodes, edges = [], []
    for i, name in enumerate(sorted(record.inputs)):
        snapshot = record.inputs[name]
        files = "1 file" if snapshot.files == 1 else f"{snapshot.files} files"
        nodes.append(
            Node(
                f"d{i}",
                f"{snapshot.uri}\n{files} · {human_size(snapshot.bytes)}",
                shape="cylinder",
                fill=_SNAPSHOT_FILL,
                stroke=_STROKE,
                stroke_width=_STROKE_WIDTH,
                tooltip=f"data snapshot {snapshot.oid}",
            )
        )
        edges += [
            Edge(f"d{i}", steps[step_name])
            for step_name, step in record.ordered_steps()
            if step.fingerprints is not None and snapshot.oid in step.fingerprints.inputs.values()
        ]
    return nodes, edges


def _edge_order(edge: tuple[str, str]) -> tuple[int, int]:
    return int(edge[0][1:]), int(edge[1][1:])
