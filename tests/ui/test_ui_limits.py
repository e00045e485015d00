"""The pages' limits: page numbers that are not plain numbers are a 400
page, never a crash; long lists (a snapshot's files, a run's replays, an
artifact's consumers, a model's versions) show a bounded part and count the
rest; ids in upper case name what they name in lower case; a blob that
only starts like a tree is a 404 page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pipeline_testing import cli
from ui_testing import Quickstart

from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex, new_run_id
from repro.project import Project
from repro.store.trees import TREE_PREFIX
from repro.ui.app import create_app
from repro.ui.routes import route_path
from repro.views.lineage import MAX_USES
from repro.views.models_view import MAX_VERSIONS
from repro.views.run_detail import MAX_REPLAYS
from repro.views.snapshots import FILES_PER_PAGE

if TYPE_CHECKING:
    from flask.testing import FlaskClient


def _text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _message(text: str) -> str:
    """The one line an error page shows."""
    found = re.search(r'<p class="message">(.*?)</p>', text)
    assert found is not None, text
    return found.group(1)


def _copy(quickstart: Quickstart, tmp_path: Path) -> Path:
    root = tmp_path / "quickstart"
    shutil.copytree(quickstart.root, root, symlinks=True)
    return root


def _client(root: Path) -> FlaskClient:
    return create_app(Project(str(root))).test_client()


def _record(quickstart: Quickstart, run: str) -> RunRecord:
    return RunIndex(quickstart.project.repro_dir).load(run)


@pytest.mark.parametrize("name", ["page", "per_page"])
@pytest.mark.parametrize("value", ["%C2%B2", "1" * 5000, "-1", "%D9%A3"])
def test_a_runs_page_number_that_is_not_ascii_digits_is_a_400_page(
    ui_client: FlaskClient, name: str, value: str
) -> None:
    response = ui_client.get(f"/runs?{name}={value}")
    assert response.status_code == 400
    message = _message(response.get_data(as_text=True))
    assert message.startswith(f"{name} &#39;") and "expected a whole number" in message
    assert len(message) < 200


def test_an_object_id_in_upper_case_downloads_the_object(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    data = (ui_quickstart.root / "data/housing.csv").read_bytes()
    oid = ui_quickstart.project.store().algorithm.hexdigest(data)
    response = ui_client.get(route_path("object", oid=oid.upper()))
    assert (response.status_code, response.data) == (200, data)


def test_a_tree_id_in_upper_case_shows_the_tree(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    drops = _record(ui_quickstart, ui_quickstart.retrain).inputs["data/drops/"].oid
    text = _text(ui_client, route_path("tree", oid=drops.upper()))
    assert f'<span class="oid">{drops}</span>' in text


def test_a_blob_that_starts_like_a_tree_is_a_404_page(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    root = _copy(ui_quickstart, tmp_path)
    oid = Project(str(root)).store().write(TREE_PREFIX + b' "not one"}')
    response = _client(root).get(route_path("tree", oid=oid))
    assert response.status_code == 404
    assert "is a file&#39;s bytes, not a tree" in _message(response.get_data(as_text=True))


@pytest.fixture
def big_tree(ui_quickstart: Quickstart, tmp_path: Path) -> tuple[FlaskClient, str]:
    """A copy with a snapshot of FILES_PER_PAGE + 2 files; its client and the tree id."""
    root = _copy(ui_quickstart, tmp_path)
    folder = root / "many"
    folder.mkdir()
    for number in range(FILES_PER_PAGE + 2):
        (folder / f"f{number:04}.txt").write_text(str(number))
    made = cli(root, "snapshot", "many", "--json")
    assert made.code == 0, made
    return _client(root), str(made.json()["tree"])


def _paths(text: str) -> list[str]:
    return re.findall(r'<tr data-path="([^"]+)">', text)


def test_a_large_tree_shows_its_first_page_with_a_link_to_the_next(
    big_tree: tuple[FlaskClient, str],
) -> None:
    client, tree = big_tree
    text = _text(client, route_path("tree", oid=tree))
    assert len(_paths(text)) == FILES_PER_PAGE
    assert f"files 1 to {FILES_PER_PAGE} of {FILES_PER_PAGE + 2}" in text
    assert f'rel="next" href="{route_path("tree", {"page": "2"}, oid=tree)}"' in text


def test_the_next_page_of_a_tree_holds_the_rest(big_tree: tuple[FlaskClient, str]) -> None:
    client, tree = big_tree
    text = _text(client, route_path("tree", {"page": "2"}, oid=tree))
    assert _paths(text) == [f"f{n:04}.txt" for n in (FILES_PER_PAGE, FILES_PER_PAGE + 1)]
    assert f'rel="prev" href="{route_path("tree", oid=tree)}"' in text


def test_a_tree_page_number_that_is_not_a_number_is_a_400_page(
    big_tree: tuple[FlaskClient, str],
) -> None:
    client, tree = big_tree
    response = client.get(route_path("tree", {"page": "²"}, oid=tree))
    assert response.status_code == 400
    assert "expected a whole number" in _message(response.get_data(as_text=True))


def _save_copies(root: Path, record: RunRecord, count: int) -> None:
    index = RunIndex(str(root / ".repro"))
    for _ in range(count):
        index.save(record.model_copy(update={"id": new_run_id()}))


def test_a_run_replayed_many_times_shows_its_newest_replays_and_counts_them(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    root = _copy(ui_quickstart, tmp_path)
    _save_copies(root, _record(ui_quickstart, ui_quickstart.replay), MAX_REPLAYS + 2)
    text = _text(_client(root), route_path("run", run=ui_quickstart.first))
    section = text[text.index('<section id="replays">') :]
    assert section.count('<article class="replay card"') == MAX_REPLAYS
    assert f"{MAX_REPLAYS + 3} replays in all" in section


def test_an_artifact_many_runs_consumed_lists_the_newest_and_counts_them(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    root = _copy(ui_quickstart, tmp_path)
    first = _record(ui_quickstart, ui_quickstart.first)
    _save_copies(root, first, MAX_USES + 1)
    text = _text(_client(root), route_path("artifact", oid=first.models[0].version))
    section = text[text.index('<section id="consumed-by"') :]
    section = section[: section.index("</section>")]
    assert section.count("<tr data-run=") == MAX_USES
    assert f"{MAX_USES + 4} in all: the newest {MAX_USES} are shown, 4 older not" in section


def test_a_model_with_many_versions_lists_the_newest_and_counts_them(
    ui_quickstart: Quickstart, tmp_path: Path
) -> None:
    root = _copy(ui_quickstart, tmp_path)
    record = _record(ui_quickstart, ui_quickstart.retrain)
    index = RunIndex(str(root / ".repro"))
    for number in range(MAX_VERSIONS):
        model = record.models[0].model_copy(update={"version": f"{number:032x}"})
        index.save(record.model_copy(update={"id": new_run_id(), "models": [model]}))
    text = _text(_client(root), route_path("model", name="my_model"))
    assert text.count("<tr data-version=") == MAX_VERSIONS
    assert f"{MAX_VERSIONS + 2} versions in all" in text
