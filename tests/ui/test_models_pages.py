"""The models pages over the quickstart: the list, my_model's versions,
aliases and promotion history; an empty state, a 404 page, and model names,
aliases, params and tags shown as text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ui_testing import Quickstart

from repro.lineage.runs import RunIndex, new_run_id
from repro.project import Project, init_project
from repro.ui.app import create_app
from repro.ui.routes import route_path

if TYPE_CHECKING:
    from flask.testing import FlaskClient

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def _text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _version(quickstart: Quickstart, run: str) -> str:
    return RunIndex(quickstart.project.repro_dir).load(run).models[0].version


def _row(html: str, attribute: str, value: str) -> str:
    found = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', html, re.DOTALL)
    assert found is not None, f"no row {attribute}={value}"
    return found.group(1)


def test_the_list_shows_each_model_with_its_versions_count_and_aliases(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    row = _row(_text(ui_client, route_path("models")), "data-model", "my_model")
    assert '<td class="num">2</td>' in row
    assert 'data-alias="production"' in row
    assert _version(ui_quickstart, ui_quickstart.first)[:12] in row


def test_the_list_links_the_latest_version_to_its_artifact_page(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    row = _row(_text(ui_client, route_path("models")), "data-model", "my_model")
    latest = _version(ui_quickstart, ui_quickstart.retrain)
    assert f'href="{route_path("artifact", oid=latest)}"' in row
    assert f'href="{route_path("model", name="my_model")}"' in row


def test_a_model_page_links_each_version_and_its_run(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    html = _text(ui_client, route_path("model", name="my_model"))
    production = _version(ui_quickstart, ui_quickstart.first)
    row = _row(html, "data-version", production)
    assert f'href="{route_path("artifact", oid=production)}"' in row
    assert f'href="{route_path("run", run=ui_quickstart.first)}"' in row
    assert 'data-metric="rmse"' in row


def test_a_model_page_shows_where_each_alias_points(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    html = _text(ui_client, route_path("model", name="my_model"))
    row = _row(html, "data-alias", "production")
    assert _version(ui_quickstart, ui_quickstart.first)[:12] in row


def test_a_model_page_shows_the_promotion_history_from_git(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    section = _text(ui_client, route_path("model", name="my_model")).split('id="history"')[1]
    assert "promote my_model to production" in section
    assert "repro tests" in section  # the author of the commit
    assert _version(ui_quickstart, ui_quickstart.first)[:12] in section


def test_an_unknown_model_is_a_404_page_naming_the_known_ones(ui_client: FlaskClient) -> None:
    response = ui_client.get(route_path("model", name="nope"))
    assert response.status_code == 404
    assert "no model named &#39;nope&#39; (models: my_model" in response.get_data(as_text=True)


def test_a_project_without_models_shows_an_empty_state(tmp_path: Path) -> None:
    project = init_project(str(tmp_path), no_scm=True).project
    html = _text(create_app(project).test_client(), route_path("models"))
    assert 'id="no-models"' in html


def _hostile_project(quickstart: Quickstart, tmp_path: Path) -> Project:
    """A copy with a run recording a model named with HTML, HTML in its
    params and tags, and an alias file naming it."""
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    index = RunIndex(str(root / ".repro"))
    record = index.load(quickstart.retrain)
    model = record.models[0].model_copy(update={"name": SCRIPT})
    hostile = record.model_copy(
        update={
            "id": new_run_id(),
            "models": [model],
            "params": {**record.params, IMG: SCRIPT},
            "tags": {SCRIPT: IMG},
        }
    )
    index.save(hostile)
    return Project(str(root))


def test_html_in_model_names_params_and_tags_is_escaped_on_the_list(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    html = _text(create_app(_hostile_project(ui_quickstart, tmp_path)).test_client(), "/models")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html


def test_html_in_model_names_params_and_tags_is_escaped_on_the_model_page(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    client = create_app(_hostile_project(ui_quickstart, tmp_path)).test_client()
    html = _text(client, route_path("model", name=SCRIPT))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert SCRIPT not in html
    assert IMG not in html
