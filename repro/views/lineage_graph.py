"""An artifact's ancestry as a graph: the data snapshots, the steps and the
artifacts between them, from left to right, each node linked to its page
where there are pages (none in a standalone report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from repro.views.formats import human_size, short_oid
from repro.views.graph_model import Edge, Graph, Node
from repro.views.svg_graph import graph_svg

if TYPE_CHECKING:
    from repro.views.lineage import AncestorStep, ArtifactFacts, ArtifactLineage, DataSource

__all__ = ["Linker", "ancestry_graph", "ancestry_svg"]

# Builds the path of a page (a name of repro.ui.routes.ROUTES and its
# values), or None where there are no pages to link to.
Linker = Callable[..., str | None]

_STEP_FILL: Final = "#f4f6f9"
_ROOT_FILL: Final = "#e8eefb"


class _Builder:
    """Nodes keyed by what they stand for (an oid, a run's step), each
    under an id made up here and with its label as tooltip; edges keyed by
    the nodes they join, so that two inputs a step reads from one artifact
    make one edge with both names."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: dict[tuple[str, str], list[str]] = {}

    def node(self, key: str, node: Node) -> None:
        if key not in self.nodes:
            tooltip = node.label.replace("\n", " · ")
            self.nodes[key] = replace(node, id=f"n{len(self.nodes)}", tooltip=tooltip)

    def edge(self, tail: str, head: str, name: str) -> None:
        self.edges.setdefault((self.nodes[tail].id, self.nodes[head].id), []).append(name)

    def graph(self) -> Graph:
        edges = (Edge(tail, head, "\n".join(names)) for (tail, head), names in self.edges.items())
        return Graph(tuple(self.nodes.values()), tuple(edges))


def ancestry_graph(lineage: ArtifactLineage, link: Linker) -> Graph:
    """The ancestry, each node linked to its page when ``link`` gives one."""
    ancestry = lineage.ancestry
    builder = _Builder()
    for source in ancestry.sources:
        _data_node(builder, source, link)
    for artifact in ancestry.artifacts:
        _artifact_node(builder, artifact, link, artifact.oid == lineage.artifact.oid)
    for oid in ancestry.unknown:
        builder.node(oid, Node("", f"{short_oid(oid)}\n(no local record)", "note", dashed=True))
    for step in ancestry.steps:
        _step(builder, step, link)
    return builder.graph()


def ancestry_svg(lineage: ArtifactLineage, link: Linker) -> str:
    """The ancestry as an inline ``<svg>`` element."""
    return graph_svg(ancestry_graph(lineage, link))


def _data_node(builder: _Builder, source: DataSource, link: Linker) -> None:
    files = "1 file" if source.files == 1 else f"{source.files} files"
    label = f"{source.uri}\n{files} · {human_size(source.bytes)}"
    href = link("tree", oid=source.oid) if source.mode == "copy" else None
    builder.node(source.oid, Node("", label, "cylinder", href=href))


def _artifact_node(builder: _Builder, artifact: ArtifactFacts, link: Linker, root: bool) -> None:
    label = f"{artifact.type}\n{short_oid(artifact.oid)} · {human_size(artifact.size)}"
    href = link("artifact", oid=artifact.oid)
    node = Node("", label, "note", href=href)
    builder.node(artifact.oid, replace(node, fill=_ROOT_FILL, stroke_width=2.0) if root else node)


def _step(builder: _Builder, step: AncestorStep, link: Linker) -> None:
    key = f"step:{step.run}/{step.step}"
    label = f"{step.step}\nrun {step.run}"
    builder.node(key, Node("", label, "rounded", fill=_STEP_FILL, href=link("run", run=step.run)))
    for read in step.inputs:
        builder.edge(read.oid, key, read.name)
    for made in step.outputs:
        builder.edge(key, made.oid, made.name)
