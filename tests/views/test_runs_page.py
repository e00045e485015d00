"""The runs list as data: newest first, each filter, paging, and the cost
rule — a page loads only its own records, and a record unchanged since it
was read is not read again."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ui_testing import Quickstart

from repro.experiments.filters import InvalidRunFilterError
from repro.lineage.records import GitRecord, RunRecord
from repro.lineage.runs import RunIndex, RunRecordInvalidError, derived_run_id
from repro.project import Project
from repro.views.runs_page import (
    InvalidPageError,
    RunsQuery,
    StepCounts,
    recent_runs,
    runs_page,
)

START_MS = 1_800_000_000_000
Store = Callable[..., Project]


def _run_id(number: int) -> str:
    return derived_run_id(START_MS + number * 1000, "0")


@pytest.fixture
def template(ui_quickstart: Quickstart) -> RunRecord:
    return RunIndex(ui_quickstart.project.repro_dir).load(ui_quickstart.first)


@pytest.fixture
def store(tmp_path: Path, template: RunRecord) -> Store:
    """A project of ``count`` copies of the first quickstart run, numbered
    oldest first; ``vary(number)`` gives each copy's changed fields."""

    def make(count: int, vary: Callable[[int], dict[str, Any]] = lambda number: {}) -> Project:
        index = RunIndex(str(tmp_path / ".repro"))
        for number in range(count):
            update = {"id": _run_id(number), **vary(number)}
            index.save(template.model_copy(update=update))
        return Project(str(tmp_path))

    return make


def _ids(project: Project, **query: Any) -> list[str]:
    return [row.id for row in runs_page(project, RunsQuery(**query)).rows]


def test_runs_are_listed_newest_first(store: Store) -> None:
    project = store(3)
    assert _ids(project) == [_run_id(2), _run_id(1), _run_id(0)]


def test_a_row_holds_the_runs_pins_and_step_counts(ui_quickstart: Quickstart) -> None:
    page = runs_page(ui_quickstart.project, RunsQuery())
    [row] = [row for row in page.rows if row.id == ui_quickstart.first]
    assert (row.pipeline, row.status, row.backend, row.branch) == (
        "quickstart",
        "succeeded",
        "local",
        "main",
    )
    assert row.steps == StepCounts(executed=5, skipped=2)
    assert row.commit is not None and row.commit_short == row.commit[:12]
    assert row.tags == (("drift", "no"),)


def test_a_replay_row_names_its_original_and_verdict(ui_quickstart: Quickstart) -> None:
    page = runs_page(ui_quickstart.project, RunsQuery())
    [row] = [row for row in page.rows if row.id == ui_quickstart.replay]
    assert (row.replay_of, row.verdict) == (ui_quickstart.first, "identical")


def test_the_pipeline_filter_keeps_that_pipelines_runs(store: Store) -> None:
    project = store(4, lambda n: {"pipeline": "train" if n % 2 else "etl"})
    assert _ids(project, pipeline="train") == [_run_id(3), _run_id(1)]


def test_the_tag_filter_matches_a_run_tag(store: Store) -> None:
    project = store(3, lambda n: {"tags": {"team": "blue"} if n == 1 else {}})
    assert _ids(project, tag="team=blue") == [_run_id(1)]


def test_the_tag_filter_matches_a_tag_a_step_set(ui_quickstart: Quickstart) -> None:
    assert _ids(ui_quickstart.project, tag="drift=yes") == [ui_quickstart.retrain]


def test_the_commit_filter_takes_a_prefix(store: Store) -> None:
    project = store(3, lambda n: {"git": GitRecord(commit=f"{n}" * 40, branch="main", dirty=False)})
    assert _ids(project, commit="1111") == [_run_id(1)]


def test_the_status_filter_keeps_runs_of_that_status(store: Store) -> None:
    project = store(3, lambda n: {"status": "failed" if n == 0 else "succeeded"})
    assert _ids(project, status="failed") == [_run_id(0)]


def _pipeline_and_status(number: int) -> dict[str, Any]:
    return {
        "pipeline": "train" if number % 2 else "etl",
        "status": "failed" if number < 2 else "succeeded",
    }


def test_filters_combine(store: Store) -> None:
    project = store(4, _pipeline_and_status)
    assert _ids(project, pipeline="train", status="failed") == [_run_id(1)]


def test_a_filtered_page_counts_every_match(store: Store) -> None:
    project = store(30, lambda n: {"tags": {"team": "blue"} if n % 3 == 0 else {}})
    page = runs_page(project, RunsQuery(tag="team=blue", per_page=4))
    assert (page.total, page.pages, len(page.rows)) == (10, 3, 4)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"tag": "team"}, r"^tag 'team': expected KEY=VALUE"),
        ({"commit": "xyz"}, r"^commit 'xyz': expected a commit id or a prefix"),
        ({"status": "done"}, r"^status 'done': expected one of running, succeeded"),
    ],
)
def test_a_malformed_filter_is_an_error_naming_it(
    store: Store, query: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidRunFilterError, match=message):
        runs_page(store(1), RunsQuery(**query))


def test_the_second_page_follows_the_first(store: Store) -> None:
    project = store(7)
    assert _ids(project, page=2, per_page=3) == [_run_id(3), _run_id(2), _run_id(1)]


def test_the_last_page_holds_the_rest(store: Store) -> None:
    page = runs_page(store(7), RunsQuery(page=3, per_page=3))
    assert [row.id for row in page.rows] == [_run_id(0)]
    assert (page.page, page.pages, page.previous, page.next) == (3, 3, 2, None)


def test_a_page_beyond_the_last_shows_the_last(store: Store) -> None:
    page = runs_page(store(7), RunsQuery(page=99, per_page=3))
    assert (page.page, [row.id for row in page.rows]) == (3, [_run_id(0)])


def test_no_runs_is_one_empty_page(tmp_path: Path) -> None:
    page = runs_page(Project(str(tmp_path)), RunsQuery())
    assert (page.rows, page.total, page.page, page.pages) == ((), 0, 1, 1)


def test_page_zero_is_an_error(store: Store) -> None:
    with pytest.raises(InvalidPageError, match=r"page '0': pages count from 1"):
        runs_page(store(1), RunsQuery(page=0))


def test_too_many_runs_a_page_is_an_error(store: Store) -> None:
    with pytest.raises(InvalidPageError, match=r"per_page '501': expected 1 to 500 runs a page"):
        runs_page(store(1), RunsQuery(per_page=501))


def test_a_query_is_read_from_request_parameters() -> None:
    values = {"pipeline": " train ", "tag": "", "page": "2", "per_page": "20", "other": "x"}
    assert RunsQuery.parse(values) == RunsQuery(pipeline="train", page=2, per_page=20)


def test_a_page_number_that_is_not_a_number_is_an_error() -> None:
    with pytest.raises(InvalidPageError, match=r"page 'two': expected a whole number"):
        RunsQuery.parse({"page": "two"})


@pytest.mark.parametrize("name", ["page", "per_page"])
@pytest.mark.parametrize("text", ["\u00b2", "\u0663", "1\u00b2", "-1", "+1", "1.0", "1_000"])
def test_a_number_of_other_than_ascii_digits_is_an_error(name: str, text: str) -> None:
    with pytest.raises(InvalidPageError, match=rf"{name} .*: expected a whole number"):
        RunsQuery.parse({name: text})


@pytest.mark.parametrize("name", ["page", "per_page"])
def test_a_number_of_thousands_of_digits_is_an_error_that_quotes_its_start(name: str) -> None:
    with pytest.raises(InvalidPageError, match=rf"{name} '1{{20}}…': expected a whole number"):
        RunsQuery.parse({name: "1" * 5000})


def test_nine_digits_are_a_page_number() -> None:
    assert RunsQuery.parse({"page": "123456789"}).page == 123456789


def test_a_pages_address_keeps_the_filters() -> None:
    query = RunsQuery(tag="team=blue", status="failed", per_page=20)
    expected = {"tag": "team=blue", "status": "failed", "per_page": "20", "page": "3"}
    assert query.parameters(3) == expected


def _damage_all_but_newest(project: Project, keep: int) -> None:
    """Records whose filter fields read but which do not load: a page that
    loaded one of them would fail."""
    folder = Path(project.repro_dir) / "runs"
    for path in sorted(folder.glob("*.json"))[:-keep]:
        doc = json.loads(path.read_bytes())
        del doc["environment"]
        path.write_text(json.dumps(doc))


def test_the_first_page_loads_only_its_records(store: Store) -> None:
    project = store(12)
    _damage_all_but_newest(project, keep=5)
    assert len(runs_page(project, RunsQuery(per_page=5)).rows) == 5
    with pytest.raises(RunRecordInvalidError, match=r"environment: Field required"):
        runs_page(project, RunsQuery(per_page=5, page=2))


def test_a_filtered_page_loads_only_its_records(store: Store) -> None:
    project = store(12, lambda n: {"tags": {"team": "blue"}})
    _damage_all_but_newest(project, keep=5)
    assert len(runs_page(project, RunsQuery(tag="team=blue", per_page=5)).rows) == 5
    with pytest.raises(RunRecordInvalidError, match=r"environment: Field required"):
        runs_page(project, RunsQuery(tag="team=blue", per_page=5, page=2))


def _retag(path: Path, value: str) -> None:
    path.write_text(
        path.read_text().replace('"tags":{"team":"blue"}', f'"tags":{{"team":"{value}"}}')
    )


def test_a_record_unchanged_since_it_was_read_is_not_read_again(store: Store) -> None:
    """Filters read the digest kept for the file's (mtime_ns, size): bytes
    changed behind an unchanged key are not seen, which shows they were not
    read. (repro replaces records by rename, which always changes the key.)"""
    project = store(1, lambda n: {"tags": {"team": "blue"}})
    assert _ids(project, tag="team=blue") == [_run_id(0)]
    [path] = (Path(project.repro_dir) / "runs").glob("*.json")
    before = path.stat()
    _retag(path, "pink")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _ids(project, tag="team=blue") == [_run_id(0)]


def test_a_changed_record_is_read_again(store: Store) -> None:
    project = store(1, lambda n: {"tags": {"team": "blue"}})
    assert _ids(project, tag="team=blue") == [_run_id(0)]
    [path] = (Path(project.repro_dir) / "runs").glob("*.json")
    _retag(path, "green")
    assert _ids(project, tag="team=blue") == []
    assert _ids(project, tag="team=green") == [_run_id(0)]


def test_a_filtered_page_offers_every_pipeline(store: Store) -> None:
    project = store(4, lambda n: {"pipeline": f"p{n}"})
    page = runs_page(project, RunsQuery(status="succeeded", per_page=1))
    assert page.pipelines == ("p0", "p1", "p2", "p3")


def test_the_pipeline_asked_for_is_offered_even_with_no_runs(store: Store) -> None:
    page = runs_page(store(1), RunsQuery(pipeline="nightly"))
    assert "nightly" in page.pipelines and page.rows == ()


def test_an_unfiltered_page_offers_its_own_and_the_locked_pipelines(
    store: Store, ui_quickstart: Quickstart
) -> None:
    """Not to read every record for one page, an unfiltered page offers the
    pipelines the lock names (here only quickstart) and those it shows."""
    project = store(2, lambda n: {"pipeline": f"p{n}"})
    shutil.copy(ui_quickstart.root / "repro.lock", project.root)
    page = runs_page(project, RunsQuery(per_page=1))
    assert page.pipelines == ("p1", "quickstart")


def test_recent_runs_are_the_newest(store: Store) -> None:
    assert [row.id for row in recent_runs(store(5), 2)] == [_run_id(4), _run_id(3)]


def test_a_damaged_record_is_an_error_naming_it_when_filtering(store: Store) -> None:
    project = store(2)
    path = Path(project.repro_dir, "runs", f"{_run_id(0)}.json")
    path.write_text('{"schema": "repro.run/v1", "id": ')
    with pytest.raises(
        RunRecordInvalidError, match=rf"{_run_id(0)}.json is not a valid run record"
    ):
        runs_page(project, RunsQuery(status="succeeded"))


def test_a_damaged_lock_leaves_the_list_working(store: Store) -> None:
    project = store(1, lambda n: {"pipeline": "etl"})
    Path(project.root, "repro.lock").write_text("pipelines: [unclosed\n")
    assert runs_page(project, RunsQuery()).pipelines == ("etl",)
