"""An artifact's ancestry drawn by Graphviz: the data snapshots, the steps
and the artifacts between them, from left to right, each node linked to
its page where there are pages (none in a standalone report)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from repro.views.formats import human_size, short_oid
from repro.views.graphviz import dot_quote, dot_tooltip, dot_url, render_svg

if TYPE_CHECKING:
    from repro.views.lineage import AncestorStep, ArtifactFacts, ArtifactLineage, DataSource

__all__ = ["Linker", "ancestry_dot", "ancestry_svg"]

# Builds the path of a page (a name of repro.ui.routes.ROUTES and its
# values), or None where there are no pages to link to.
Linker = Callable[..., str | None]

_HEADER = (
    "digraph ancestry {",
    '  graph [rankdir=LR, bgcolor="transparent", nodesep=0.3, ranksep=0.45];',
    '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor="#ffffff"];',
    '  edge [fontname="Helvetica", fontsize=9, color="#5f6b7a"];',
)


def ancestry_dot(lineage: ArtifactLineage, link: Linker) -> str:
    """The ancestry as DOT, each node linked to its page when ``link`` gives one."""
    ancestry = lineage.ancestry
    nodes: dict[str, str] = {}
    lines = list(_HEADER)
    lines += [_data_node(nodes, source, link) for source in ancestry.sources]
    lines += [
        _artifact_node(nodes, artifact, link, artifact.oid == lineage.artifact.oid)
        for artifact in ancestry.artifacts
    ]
    lines += [_unknown_node(nodes, oid) for oid in ancestry.unknown]
    for step in ancestry.steps:
        lines += _step_lines(nodes, step, link)
    lines.append("}")
    return "\n".join(lines) + "\n"


def ancestry_svg(lineage: ArtifactLineage, link: Linker) -> str:
    """The ancestry drawn by Graphviz, an ``<svg>`` element."""
    return render_svg(ancestry_dot(lineage, link))


def _node(nodes: dict[str, str], key: str, label: str, attrs: str, href: str | None) -> str:
    # Node names are made up here, so that no user text is a DOT identifier.
    name = nodes.setdefault(key, f"n{len(nodes)}")
    url = f", URL={dot_url(href)}" if href else ""
    # Graphviz shows a label's line breaks as "\\n" in the tooltip it derives.
    tooltip = dot_tooltip(label.replace("\n", " · "))
    return f"  {name} [{attrs}, label={dot_quote(label)}, tooltip={tooltip}{url}];"


def _data_node(nodes: dict[str, str], source: DataSource, link: Linker) -> str:
    files = "1 file" if source.files == 1 else f"{source.files} files"
    label = f"{source.uri}\n{files} · {human_size(source.bytes)}"
    href = link("tree", oid=source.oid) if source.mode == "copy" else None
    return _node(nodes, source.oid, label, "shape=cylinder", href)


def _artifact_node(nodes: dict[str, str], artifact: ArtifactFacts, link: Linker, root: bool) -> str:
    label = f"{artifact.type}\n{short_oid(artifact.oid)} · {human_size(artifact.size)}"
    attrs = 'shape=note, penwidth=2, fillcolor="#e8eefb"' if root else "shape=note"
    return _node(nodes, artifact.oid, label, attrs, link("artifact", oid=artifact.oid))


def _unknown_node(nodes: dict[str, str], oid: str) -> str:
    label = f"{short_oid(oid)}\n(no local record)"
    return _node(nodes, oid, label, "shape=note, style=dashed", None)


def _step_lines(nodes: dict[str, str], step: AncestorStep, link: Linker) -> list[str]:
    key = f"step:{step.run}/{step.step}"
    attrs = 'shape=box, style="rounded,filled", fillcolor="#f4f6f9"'
    label = f"{step.step}\nrun {step.run}"
    lines = [_node(nodes, key, label, attrs, link("run", run=step.run))]
    name = nodes[key]
    lines += [f"  {nodes[f.oid]} -> {name} [label={dot_quote(f.name)}];" for f in step.inputs]
    lines += [f"  {name} -> {nodes[f.oid]} [label={dot_quote(f.name)}];" for f in step.outputs]
    return lines
