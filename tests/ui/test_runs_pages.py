"""The runs list page (/runs): the table and its links, the filter form that
keeps its values, the pager over 10,000 runs, the form that sends ticked
runs to the comparison, and user text escaped."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ui_testing import Quickstart

from repro.hashing import canonical_dumps
from repro.lineage.runs import RunIndex, derived_run_id
from repro.project import Project

if TYPE_CHECKING:
    from flask.testing import FlaskClient

MANY = 10_000
TAGGED_EVERY = 10
START_MS = 1_800_000_000_000
SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"


def _run_id(number: int) -> str:
    return derived_run_id(START_MS + number * 1000, "0")


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr data-run="([^"]+)">', text)


def _message(text: str) -> str:
    """The one line an error page shows."""
    found = re.search(r'<p class="message">(.*?)</p>', text)
    assert found is not None, text
    return found.group(1)


def _get(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def many_client(ui_quickstart: Quickstart, tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """10,000 copies of the first quickstart run (every tenth tagged
    team=blue), written as bytes: building them as records would take long."""
    from repro.ui.app import create_app

    root = tmp_path_factory.mktemp("many")
    index = RunIndex(str(root / ".repro"))
    record = RunIndex(ui_quickstart.project.repro_dir).load(ui_quickstart.first)
    data = canonical_dumps(record.to_json_dict()).decode()
    own_id, no_tags = f'"id":"{record.id}"', '"tags":{},"target"'
    assert data.count(own_id) == 1 and data.count(no_tags) == 1
    tagged = data.replace(no_tags, '"tags":{"team":"blue"},"target"')
    Path(index.folder).mkdir(parents=True)
    for number in range(MANY):
        text = tagged if number % TAGGED_EVERY == 0 else data
        run_id = _run_id(number)
        Path(index.folder, f"{run_id}.json").write_text(text.replace(own_id, f'"id":"{run_id}"'))
    return create_app(Project(str(root))).test_client()


def test_the_runs_table_lists_every_run_newest_first(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    text = _get(ui_client, "/runs")
    assert '<table id="runs">' in text
    assert _rows(text) == [ui_quickstart.retrain, ui_quickstart.replay, ui_quickstart.first]


def test_each_run_links_to_its_page(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    assert f'href="/runs/{ui_quickstart.first}"' in _get(ui_client, "/runs")


def test_a_replay_shows_its_original_and_verdict(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    text = _get(ui_client, "/runs")
    row = text[text.index(f'<tr data-run="{ui_quickstart.replay}">') :]
    row = row[: row.index("</tr>")]
    assert f'href="/runs/{ui_quickstart.first}"' in row
    assert '<span class="badge identical">identical</span>' in row


def test_ticked_runs_go_to_the_comparison(
    ui_client: FlaskClient, ui_quickstart: Quickstart
) -> None:
    text = _get(ui_client, "/runs")
    form = text[text.index('<form method="get" action="/compare"') :]
    form = form[: form.index("</form>")]
    assert f'<input type="checkbox" name="run" value="{ui_quickstart.first}"' in form
    assert '<button type="submit" id="compare-selected">' in form


def test_the_filter_form_keeps_its_values(ui_client: FlaskClient) -> None:
    text = _get(ui_client, "/runs?pipeline=quickstart&tag=drift%3Dyes&commit=ab&status=succeeded")
    form = text[text.index('<form class="filters"') :]
    form = form[: form.index("</form>")]
    assert '<option value="quickstart" selected>' in form
    assert '<option value="succeeded" selected>' in form
    assert 'name="tag" value="drift=yes"' in form
    assert 'name="commit" value="ab"' in form


def test_a_filter_narrows_the_table(ui_client: FlaskClient, ui_quickstart: Quickstart) -> None:
    assert _rows(_get(ui_client, "/runs?tag=drift%3Dyes")) == [ui_quickstart.retrain]


def test_a_filter_matching_nothing_says_so(ui_client: FlaskClient) -> None:
    text = _get(ui_client, "/runs?tag=drift%3Dmaybe")
    assert 'id="no-runs"' in text and "No run matches these filters" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "status=zzz",
            "status &#39;zzz&#39;: expected one of running, succeeded, failed, interrupted",
        ),
        ("tag=novalue", "tag &#39;novalue&#39;: expected KEY=VALUE"),
        ("commit=xyz%21", "commit &#39;xyz!&#39;: expected a commit id or a prefix of one"),
    ],
)
def test_a_malformed_filter_is_a_400_page_naming_its_field(
    ui_client: FlaskClient, query: str, message: str
) -> None:
    """Named as the page's parameter, not as the CLI's option (--status)."""
    response = ui_client.get(f"/runs?{query}")
    assert response.status_code == 400
    assert _message(response.get_data(as_text=True)) == message


def test_a_page_that_is_not_a_number_is_a_400_page(ui_client: FlaskClient) -> None:
    response = ui_client.get("/runs?page=last")
    assert response.status_code == 400
    assert "page &#39;last&#39;: expected a whole number" in response.get_data(as_text=True)


def test_the_first_of_10000_runs_pages(many_client: FlaskClient) -> None:
    text = _get(many_client, "/runs")
    assert _rows(text) == [_run_id(MANY - 1 - n) for n in range(50)]
    assert "page 1 of 200" in text and "10000 runs" in text
    assert 'rel="prev"' not in text
    assert 'rel="next" href="/runs?page=2"' in text


def test_the_second_page_follows_the_first(many_client: FlaskClient) -> None:
    text = _get(many_client, "/runs?page=2")
    assert _rows(text) == [_run_id(MANY - 51 - n) for n in range(50)]
    assert 'rel="prev" href="/runs"' in text and 'rel="next" href="/runs?page=3"' in text


def test_the_last_page_ends_with_the_oldest_run(many_client: FlaskClient) -> None:
    text = _get(many_client, "/runs?page=200")
    assert _rows(text)[-1] == _run_id(0) and len(_rows(text)) == 50
    assert "page 200 of 200" in text and 'rel="next"' not in text


def test_a_page_beyond_the_last_shows_the_last(many_client: FlaskClient) -> None:
    text = _get(many_client, "/runs?page=999")
    assert "page 200 of 200" in text and _rows(text)[-1] == _run_id(0)


def test_paging_a_filter_keeps_it(many_client: FlaskClient) -> None:
    text = _get(many_client, "/runs?tag=team%3Dblue&page=2")
    assert "page 2 of 20" in text and "1000 runs matching" in text
    expected = [_run_id(MANY - TAGGED_EVERY * (50 + n + 1)) for n in range(50)]
    assert _rows(text) == expected
    assert 'rel="next" href="/runs?tag=team%3Dblue&amp;page=3"' in text
    assert 'rel="prev" href="/runs?tag=team%3Dblue"' in text


def test_the_page_size_is_kept_across_pages(many_client: FlaskClient) -> None:
    text = _get(many_client, "/runs?per_page=500&page=3")
    assert len(_rows(text)) == 500 and "page 3 of 20" in text
    assert 'href="/runs?per_page=500&amp;page=4"' in text
    assert '<input type="hidden" name="per_page" value="500">' in text


@pytest.fixture
def hostile_client(ui_quickstart: Quickstart, tmp_path: Path) -> FlaskClient:
    """A run whose tag and pipeline are markup."""
    from repro.ui.app import create_app

    record = RunIndex(ui_quickstart.project.repro_dir).load(ui_quickstart.first)
    update = {"pipeline": SCRIPT, "tags": {SCRIPT: IMAGE}}
    RunIndex(str(tmp_path / ".repro")).save(record.model_copy(update=update))
    return create_app(Project(str(tmp_path))).test_client()


def test_tags_and_pipelines_in_the_table_are_escaped(hostile_client: FlaskClient) -> None:
    text = _get(hostile_client, "/runs")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;=&lt;img src=x onerror=alert(1)&gt;" in text
    assert SCRIPT not in text and IMAGE not in text


def test_filter_values_are_escaped_in_the_form(hostile_client: FlaskClient) -> None:
    text = _get(
        hostile_client,
        "/runs?tag=%3Cscript%3Ealert(1)%3C/script%3E%3D%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    )
    assert (
        'value="&lt;script&gt;alert(1)&lt;/script&gt;=&lt;img src=x onerror=alert(1)&gt;"' in text
    )
    assert SCRIPT not in text and IMAGE not in text


def test_a_pipeline_filter_is_escaped_in_the_select(hostile_client: FlaskClient) -> None:
    text = _get(hostile_client, "/runs?pipeline=%3Cscript%3Ealert(1)%3C/script%3E")
    assert '<option value="&lt;script&gt;alert(1)&lt;/script&gt;" selected>' in text
    assert SCRIPT not in text
