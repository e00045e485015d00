"""A run's DAG as Graphviz draws it: a node per step (its status, duration
and cache decision), an edge per upstream step, and a node per input data
snapshot with edges to the steps that read it.

The same record always gives the same DOT text: nodes in definition order,
snapshots by name, edges sorted.
"""

from __future__ import annotations

from typing import Final

from repro.lineage.records import RunRecord, StepRecord
from repro.views.formats import human_duration, human_size
from repro.views.graphviz import dot_quote, dot_tooltip, dot_url, render_svg

__all__ = ["STATUS_COLOURS", "dag_dot", "dag_svg", "step_anchor", "step_decision"]

# The badge colours of ui.css (--ok, --cached, --failed, --skipped), so that
# a node and its step's badge say the same thing.
STATUS_COLOURS: Final = {
    "executed": "#1f7a3e",
    "cached": "#5b6ab5",
    "failed": "#b3261e",
    "skipped": "#8a8f98",
}
_SNAPSHOT_FILL = "#f4f6f9"
_GRAPH = (
    'digraph "run" {',
    '  graph [rankdir=LR, nodesep=0.3, ranksep=0.5, bgcolor="transparent"];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11,'
    ' fontcolor="white", color="#17202b", penwidth=0.6];',
    '  edge [color="#5f6b7a", arrowsize=0.7];',
)


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


def dag_dot(record: RunRecord) -> str:
    """The DOT source of the run's DAG."""
    ids = {name: f"s{i}" for i, (name, _) in enumerate(record.ordered_steps())}
    lines = list(_GRAPH)
    lines += [_step_node(ids[name], name, step) for name, step in record.ordered_steps()]
    lines += _snapshot_lines(record, ids)
    edges = {
        (ids[up], ids[name])
        for name, step in record.steps.items()
        for up in step.upstream
        if up in ids
    }
    lines += [f"  {tail} -> {head};" for tail, head in sorted(edges, key=_edge_order)]
    return "\n".join([*lines, "}", ""])


def dag_svg(record: RunRecord) -> str:
    """The run's DAG as an inline ``<svg>`` element."""
    return render_svg(dag_dot(record))


def _step_node(node: str, name: str, step: StepRecord) -> str:
    label = f"{name}\n{step.status}"
    if step.duration is not None:
        label += f" · {human_duration(step.duration)}"
    return (
        f"  {node} [label={dot_quote(label)}, "
        f'fillcolor="{STATUS_COLOURS[step.status]}", '
        f"URL={dot_url('#' + step_anchor(name))}, tooltip={dot_tooltip(step_decision(step))}];"
    )


def _snapshot_lines(record: RunRecord, steps: dict[str, str]) -> list[str]:
    lines = []
    for i, name in enumerate(sorted(record.inputs)):
        snapshot = record.inputs[name]
        node = f"d{i}"
        files = "1 file" if snapshot.files == 1 else f"{snapshot.files} files"
        label = f"{snapshot.uri}\n{files} · {human_size(snapshot.bytes)}"
        tooltip = f"data snapshot {snapshot.oid}"
        lines.append(
            f"  {node} [label={dot_quote(label)}, shape=cylinder, style=filled, "
            f'fillcolor="{_SNAPSHOT_FILL}", fontcolor="#1d232b", tooltip={dot_tooltip(tooltip)}];'
        )
        lines += [
            f"  {node} -> {steps[step_name]};"
            for step_name, step in record.ordered_steps()
            if step.fingerprints is not None and snapshot.oid in step.fingerprints.inputs.values()
        ]
    return lines


def _edge_order(edge: tuple[str, str]) -> tuple[int, int]:
    return int(edge[0][1:]), int(edge[1][1:])
