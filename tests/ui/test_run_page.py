"""The run page over the quickstart: served for an id or a unique prefix,
the 404 page for an id that names no run, the hooks the browser tests use,
and every kind of user text it shows escaped, never markup."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from ui_testing import QUICKSTART_STEPS, Quickstart

from repro.lineage.records import ArtifactRecord, RunRecord
from repro.lineage.runs import RunIndex, new_run_id
from repro.materialize import MaterializeOptions, dump
from repro.project import Project
from repro.ui.app import create_app
from repro.ui.routes import route_path

if TYPE_CHECKING:
    from flask.testing import FlaskClient

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&lt;img src=x onerror=alert(1)&gt;"
STEPS = list(QUICKSTART_STEPS)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def _tags(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.found


def _section(html: str, opening: str) -> str:
    found = re.search(rf"<section {re.escape(opening)}>(.*?)</section>", html, re.DOTALL)
    assert found is not None, f"no section {opening}"
    return found.group(1)


def _page(client: FlaskClient, run: str) -> str:
    response = client.get(route_path("run", run=run))
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _renamed(steps: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {new if name == old else name: step for name, step in steps.items()}


def _hostile_record(project: Project, record: RunRecord, folder: Path) -> RunRecord:
    """The first run with user text full of markup wherever a user writes text."""
    store = project.store()
    files = ArtifactRecord(**dump(folder, store, MaterializeOptions()).to_dict())
    steps = dict(record.steps)
    steps["evaluate"] = steps["evaluate"].model_copy(
        update={
            "metrics": {IMG: 1.5},
            "tags": {SCRIPT: IMG},
            "logged_params": {"note": SCRIPT},
            "artifacts": {"files": files},
        }
    )
    steps["check_drift"] = steps["check_drift"].model_copy(
        update={"status": "failed", "error": f"ValueError: {IMG}\n{SCRIPT}"}
    )
    log = store.write(f"printed {SCRIPT}\n".encode())
    steps["ingest_data"] = steps["ingest_data"].model_copy(update={"log": log})
    return record.model_copy(
        update={
            "id": new_run_id(),
            "steps": _renamed(steps, "train_model", f"train{IMG}"),  # no "/" in a step name
            "params": {**record.params, "comment": SCRIPT},
            "tags": {"owner": IMG},
        }
    )


@pytest.fixture(scope="module")
def hostile(
    ui_quickstart: Quickstart, tmp_path_factory: pytest.TempPathFactory
) -> tuple[FlaskClient, str]:
    """A client of a copied project holding one such run, and its id."""
    root = tmp_path_factory.mktemp("hostile") / "quickstart"
    shutil.copytree(ui_quickstart.root, root, symlinks=True)
    folder = root.parent / "files"
    folder.mkdir()
    (folder / IMG).write_text("a file with markup in its name")
    project = Project(str(root))
    record = _hostile_record(project, RunIndex(project.repro_dir).load(ui_quickstart.first), folder)
    RunIndex(project.repro_dir).save(record)
    return create_app(project).test_client(), record.id


@pytest.fixture(scope="module")
def hostile_page(hostile: tuple[FlaskClient, str]) -> str:
    client, run = hostile
    return _page(client, run)


def test_a_run_is_served_by_its_id(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    assert f'Run <span class="oid">{ui_quickstart.first}</span>' in _page(
        ui_client, ui_quickstart.first
    )


def test_a_run_is_served_by_a_unique_prefix(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    runs = [ui_quickstart.first, ui_quickstart.replay, ui_quickstart.retrain]
    run = ui_quickstart.retrain
    prefix = next(
        run[:n] for n in range(1, 15) if [r for r in runs if r.startswith(run[:n])] == [run]
    )
    assert f'Run <span class="oid">{run}</span>' in _page(ui_client, prefix)


def test_an_unknown_run_is_the_404_page_with_the_hint(ui_client: FlaskClient) -> None:
    response = ui_client.get(route_path("run", run="zzzz"))
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "no run matches &#39;zzzz&#39;" in body
    assert "<code>repro pull</code>" in body


def test_a_prefix_of_several_runs_is_the_404_page(ui_client: FlaskClient) -> None:
    response = ui_client.get(route_path("run", run="0"))
    assert response.status_code == 404
    assert "give more characters" in response.get_data(as_text=True)


def test_the_pins_section_holds_commit_snapshots_and_params(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    record = RunIndex(ui_quickstart.project.repro_dir).load(ui_quickstart.first)
    pins = _section(_page(ui_client, ui_quickstart.first), 'id="pins"')
    assert record.git.commit is not None and record.git.commit in pins
    assert '<tr data-snapshot="data/drops/">' in pins
    assert '<tr data-param="n_estimators"><td>n_estimators</td>' in pins


def test_the_dag_section_holds_the_svg(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    dag = _section(_page(ui_client, ui_quickstart.first), 'id="dag" class="dag"')
    assert "<svg" in dag and 'href="#step-train_model"' in dag


def test_each_step_has_its_anchor_and_status_badge(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    tags = _tags(_page(ui_client, ui_quickstart.retrain))
    steps = [attrs for tag, attrs in tags if tag == "article" and "data-step" in attrs]
    assert [(a["id"], a["data-step"]) for a in steps] == [(f"step-{s}", s) for s in STEPS]
    badges = [
        a["class"] for tag, a in tags if tag == "span" and a.get("class", "").startswith("badge ")
    ]
    assert "badge cached" in badges and "badge executed" in badges


def test_metric_values_carry_their_names(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    html = _page(ui_client, ui_quickstart.retrain)
    table = re.search(r'<table id="metrics">(.*?)</table>', html, re.DOTALL)
    assert table is not None
    assert re.search(
        r'<td class="num" data-metric="rmse" title="[\d.]+">[\d.]+</td>', table.group(1)
    )


def test_output_ids_link_to_their_artifact_page(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    record = RunIndex(ui_quickstart.project.repro_dir).load(ui_quickstart.first)
    oid = record.steps["train_model"].outputs["output"].oid
    link = f'<a class="artifact oid" href="{route_path("artifact", oid=oid)}">{oid[:12]}</a>'
    assert link in _page(ui_client, ui_quickstart.first)


def test_the_replays_section_shows_each_verdict(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    replays = _section(_page(ui_client, ui_quickstart.first), 'id="replays"')
    assert f'href="{route_path("run", run=ui_quickstart.replay)}"' in replays
    assert '<span class="badge identical">identical</span>' in replays


def test_a_replay_links_its_original(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    section = _section(_page(ui_client, ui_quickstart.replay), 'id="replay-of"')
    assert f'href="{route_path("run", run=ui_quickstart.first)}"' in section


def test_the_logs_section_shows_a_step_log(hostile_page: str) -> None:
    logs = _section(hostile_page, 'id="logs"')
    assert f'<pre class="log">printed {ESCAPED_SCRIPT}\n</pre>' in logs


def test_no_user_text_reaches_the_page_as_markup(hostile_page: str) -> None:
    assert SCRIPT not in hostile_page and IMG not in hostile_page
    assert "<script" not in hostile_page and "<img" not in hostile_page


@pytest.mark.parametrize(
    ("what", "escaped"),
    [
        ("param value", f"<code>&#34;{ESCAPED_SCRIPT}&#34;</code>"),
        ("run tag", f'data-tag="owner">owner={ESCAPED_IMG}</span>'),
        ("metric name", f'<td>{ESCAPED_IMG}</td><td class="num" data-metric="{ESCAPED_IMG}"'),
        ("step tag", f"<li>{ESCAPED_SCRIPT} = <code>{ESCAPED_IMG}</code></li>"),
        ("logged param", f"<li>note = <code>&#34;{ESCAPED_SCRIPT}&#34;</code></li>"),
        (
            "step error",
            f'<pre class="step-error">ValueError: {ESCAPED_IMG}\n{ESCAPED_SCRIPT}</pre>',
        ),
        ("step name", f'id="step-train{ESCAPED_IMG}" data-step="train{ESCAPED_IMG}"'),
        ("file name", f">{ESCAPED_IMG}</a>"),
    ],
)
def test_user_text_is_escaped(hostile_page: str, what: str, escaped: str) -> None:
    assert escaped in hostile_page, what


def test_a_step_name_in_the_dag_is_escaped(hostile_page: str) -> None:
    dag = _section(hostile_page, 'id="dag" class="dag"')
    assert f">train{ESCAPED_IMG}</text>" in dag


def test_a_model_version_links_its_model(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    html = _page(ui_client, ui_quickstart.retrain)
    assert f'<a href="{route_path("model", name="my_model")}">my_model</a>' in html
