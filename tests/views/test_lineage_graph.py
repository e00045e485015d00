"""The ancestry drawn by Graphviz: every node linked to its page in the UI,
nothing linked in a report, and user text escaped by Graphviz itself."""

from __future__ import annotations

import shutil
from pathlib import Path

from ui_testing import Quickstart

from repro.lineage.records import ArtifactRecord, Fingerprints, RunRecord
from repro.lineage.runs import RunIndex, new_run_id
from repro.project import Project
from repro.views.lineage import ArtifactLineage, artifact_lineage
from repro.views.lineage_graph import ancestry_dot, ancestry_svg

HTML = "<script>alert(1)</script>"


def _record(quickstart: Quickstart, run: str) -> RunRecord:
    return RunIndex(quickstart.project.repro_dir).load(run)


def _model_lineage(quickstart: Quickstart) -> ArtifactLineage:
    oid = _record(quickstart, quickstart.first).models[0].version
    return artifact_lineage(quickstart.project, oid)


def _no_links(*args: object, **values: str) -> None:
    return None


def test_every_node_links_to_its_page(ui_quickstart: Quickstart) -> None:
    lineage = _model_lineage(ui_quickstart)
    housing = lineage.ancestry.sources[0].oid

    def link(name: str, query: object = None, **values: str) -> str:
        return f"/{name}/{'/'.join(values.values())}"

    dot = ancestry_dot(lineage, link)
    assert f'URL="/tree/{housing}"' in dot
    assert f'URL="/artifact/{lineage.artifact.oid}"' in dot
    assert f'URL="/run/{ui_quickstart.first}"' in dot


def test_the_graph_of_a_report_links_nowhere(ui_quickstart: Quickstart) -> None:
    assert "URL=" not in ancestry_dot(_model_lineage(ui_quickstart), _no_links)


def test_the_drawing_is_an_svg_element(ui_quickstart: Quickstart) -> None:
    assert ancestry_svg(_model_lineage(ui_quickstart), _no_links).startswith("<svg")


def _with_html_step(quickstart: Quickstart, tmp_path: Path, output: str) -> Project:
    """A copy of the quickstart with a run whose extra step, argument and
    output type are named with HTML."""
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    record = _record(quickstart, quickstart.retrain)
    base = record.steps["train_model"]
    assert base.fingerprints is not None
    artifact = ArtifactRecord(
        oid=output, kind="blob", materializer="json", version="1", type=HTML, size=3
    )
    fingerprints = Fingerprints.model_validate(
        base.fingerprints.model_dump() | {"inputs": {HTML: "e" * 32}}
    )
    step = base.model_copy(
        update={
            "position": 99,
            "status": "executed",
            "cached_from": None,
            "outputs": {"output": artifact},
            "fingerprints": fingerprints,
        }
    )
    steps = {**record.steps, HTML: step}
    copy = record.model_copy(update={"id": new_run_id(), "steps": steps, "models": []})
    RunIndex(str(root / ".repro")).save(copy)
    return Project(str(root))


def test_graphviz_escapes_html_in_step_names_and_types(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    project = _with_html_step(ui_quickstart, tmp_path, "d" * 32)
    svg = ancestry_svg(artifact_lineage(project, "d" * 32), _no_links)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "<script" not in svg
