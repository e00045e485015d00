"""The snapshot browser over the quickstart: a tree's files, downloads of
their exact bytes as attachments, objects by id; 404 pages for ids and
paths that name nothing (path traversal included); file names shown as
text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pipeline_testing import cli
from ui_testing import Quickstart

from repro.lineage.runs import RunIndex
from repro.project import Project
from repro.ui.app import create_app
from repro.ui.routes import route_path

if TYPE_CHECKING:
    from flask.testing import FlaskClient

IMG = "<img src=x onerror=alert(1)>.csv"


def _drops(quickstart: Quickstart) -> str:
    return RunIndex(quickstart.project.repro_dir).load(quickstart.retrain).inputs["data/drops/"].oid


def test_a_tree_page_lists_its_files_with_links_to_download_them(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    tree = _drops(ui_quickstart)
    response = ui_client.get(route_path("tree", oid=tree))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    table = html.split('<table id="files">')[1]
    assert re.findall(r'<tr data-path="([^"]+)">', table) == ["drop-001.csv", "drop-002.csv"]
    assert f'href="{route_path("tree_file", oid=tree, path="drop-001.csv")}"' in table


def test_a_file_downloads_as_its_exact_bytes_in_an_attachment(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    path = route_path("tree_file", oid=_drops(ui_quickstart), path="drop-001.csv")
    response = ui_client.get(path)
    assert response.status_code == 200
    assert response.data == (ui_quickstart.root / "data/drops/drop-001.csv").read_bytes()
    assert response.headers["Content-Disposition"] == "attachment; filename=drop-001.csv"
    assert response.mimetype == "application/octet-stream"


def test_an_object_downloads_by_id_as_an_attachment(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    data = (ui_quickstart.root / "data/housing.csv").read_bytes()
    oid = ui_quickstart.project.store().algorithm.hexdigest(data)
    response = ui_client.get(route_path("object", oid=oid))
    assert response.data == data
    assert response.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    "path",
    ["../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "..%2f..%2fetc%2fpasswd", "x/../drop-001.csv"],
)
def test_a_path_outside_the_tree_is_a_404_page(
    ui_client: FlaskClient, ui_quickstart: Quickstart, path: str
) -> None:
    response = ui_client.get(f"/trees/{_drops(ui_quickstart)}/files/{path}")
    assert response.status_code == 404
    assert "root:" not in response.get_data(as_text=True)


def test_a_tree_missing_from_the_store_is_a_404_page_saying_to_pull(
    ui_client: FlaskClient,
) -> None:
    response = ui_client.get(route_path("tree", oid="0" * 32))
    assert response.status_code == 404
    assert "run `repro pull`" in response.get_data(as_text=True)


def test_an_object_missing_from_the_store_is_a_404_page_saying_to_pull(
    ui_client: FlaskClient,
) -> None:
    response = ui_client.get(route_path("object", oid="0" * 32))
    assert response.status_code == 404
    assert "run `repro pull`" in response.get_data(as_text=True)


@pytest.mark.parametrize("oid", ["not-hex", "%2e%2e", "0" * 31])
def test_an_id_that_is_not_a_hex_id_is_a_404_page(ui_client: FlaskClient, oid: str) -> None:
    for path in (f"/trees/{oid}", f"/objects/{oid}", f"/trees/{oid}/files/a.csv"):
        response = ui_client.get(path)
        assert response.status_code == 404
        assert "is not an object id" in response.get_data(as_text=True)


def test_a_blob_is_not_a_tree_page(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    blob = ui_quickstart.project.store().algorithm.hexdigest(
        (ui_quickstart.root / "data/housing.csv").read_bytes()
    )
    response = ui_client.get(route_path("tree", oid=blob))
    assert response.status_code == 404
    assert "not a tree" in response.get_data(as_text=True)


@pytest.fixture
def hostile(ui_quickstart: Quickstart, tmp_path: Path) -> tuple[FlaskClient, str, bytes]:
    """A copy of the quickstart with a folder snapshotted by `repro snapshot`
    that holds a file named with HTML (and one beyond ASCII); its client, the
    tree id and the HTML-named file's bytes."""
    root = tmp_path / "quickstart"
    shutil.copytree(ui_quickstart.root, root, symlinks=True)
    (root / "odd").mkdir()
    (root / "odd" / IMG).write_bytes(b"a,b\n1,2\n")
    (root / "odd" / "données.csv").write_bytes(b"x\n")
    made = cli(root, "snapshot", "odd", "--json")
    assert made.code == 0, made
    client = create_app(Project(str(root))).test_client()
    return client, str(made.json()["tree"]), b"a,b\n1,2\n"


def test_html_in_a_file_name_is_escaped_on_the_tree_page(
    hostile: tuple[FlaskClient, str, bytes],
) -> None:
    client, tree, _ = hostile
    html = client.get(route_path("tree", oid=tree)).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in html
    assert "<img" not in html


def test_a_file_named_with_html_downloads_with_its_bytes(
    hostile: tuple[FlaskClient, str, bytes],
) -> None:
    client, tree, data = hostile
    response = client.get(route_path("tree_file", oid=tree, path=IMG))
    assert response.status_code == 200
    assert response.data == data
    disposition = 'attachment; filename="_img src=x onerror=alert(1)_.csv"'
    assert response.headers["Content-Disposition"] == disposition


def test_a_file_name_beyond_ascii_keeps_its_name_for_the_download(
    hostile: tuple[FlaskClient, str, bytes],
) -> None:
    client, tree, _ = hostile
    response = client.get(route_path("tree_file", oid=tree, path="données.csv"))
    assert response.data == b"x\n"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=donnees.csv; filename*=UTF-8''donn%C3%A9es.csv"
    )
