"""Run ids and the local run index: time-sortable unique ids, prefix
resolution, journals of runs in progress, and no path escapes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repro.hashing import canonical_dumps
from repro.lineage.records import EnvironmentRecord, GitRecord, RunRecord
from repro.lineage.runs import (
    AmbiguousRunError,
    RunIndex,
    UnknownRunError,
    is_run_id_prefix,
    new_run_id,
)

ALPHABET = set("0123456789abcdefghjkmnpqrstvwxyz")
MAX_MS = 2**48 - 1


def record(run_id: str) -> RunRecord:
    return RunRecord(
        id=run_id,
        pipeline="train",
        target="flows/train.py:train",
        backend="local",
        status="succeeded",
        created="2025-03-14T09:26:53.500Z",
        git=GitRecord(
            commit="9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6a", branch="main", dirty=False
        ),
        environment=EnvironmentRecord(
            python="cpython-3.11",
            python_full="3.11.9",
            platform="linux-x86_64",
            lockfile=None,
            lockfile_oid=None,
            distributions={},
            oid="a41d7e90c3b25f68d1e4a7b0c3f69d2e",
        ),
        params={},
        inputs={},
        steps={},
    )


@pytest.fixture
def index(tmp_path: Path) -> RunIndex:
    return RunIndex(str(tmp_path / ".repro"))


def files_under(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


# Run ids -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("now_ms", [None, 0, 1_700_000_000_000, MAX_MS])
def test_run_id_is_14_crockford_characters(now_ms: int | None) -> None:
    run_id = new_run_id(now_ms)
    assert len(run_id) == 14
    assert set(run_id) <= ALPHABET
    assert is_run_id_prefix(run_id)


@given(st.lists(st.integers(min_value=0, max_value=MAX_MS), min_size=2, max_size=20, unique=True))
def test_run_ids_sort_by_time(stamps: list[int]) -> None:
    stamps.sort()
    ids = [new_run_id(stamp) for stamp in stamps]
    assert sorted(ids) == ids


def test_run_ids_of_one_millisecond_are_unique() -> None:
    ids = [new_run_id(1_700_000_000_000) for _ in range(10_000)]
    assert len(set(ids)) == len(ids)


def test_run_ids_of_one_millisecond_still_sort_before_the_next() -> None:
    same = [new_run_id(1_700_000_000_500) for _ in range(10_000)]
    later = new_run_id(1_700_000_000_501)
    assert sorted(same) == same
    assert max(same) < later


def test_run_ids_now_increase() -> None:
    ids = [new_run_id() for _ in range(1_000)]
    assert sorted(ids) == ids
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("text", ["", "../x", "01HQ", "01hq3v8k2m9x4c0", "01il", "a/b", "a.json"])
def test_invalid_run_id_prefixes(text: str) -> None:
    assert not is_run_id_prefix(text)


# Save, load, list --------------------------------------------------------------------------------


def test_save_then_load(index: RunIndex) -> None:
    run_id = new_run_id()
    data = index.save(record(run_id))
    assert data == canonical_dumps(record(run_id).to_json_dict())
    assert index.load(run_id) == record(run_id)
    assert index.has(run_id)


def test_ids_are_sorted_and_empty_before_any_run(index: RunIndex) -> None:
    assert index.ids() == []
    stamps = [1_700_000_000_300, 1_700_000_000_100, 1_700_000_000_200]
    ids = [new_run_id(stamp) for stamp in stamps]
    for run_id in ids:
        index.save(record(run_id))
    assert index.ids() == sorted(ids)
    assert [r.id for r in index.records()] == sorted(ids)


def test_load_of_an_unknown_run(index: RunIndex) -> None:
    with pytest.raises(UnknownRunError, match=r"no run matches '01hq3v8k2m9x4c'; see `repro runs"):
        index.load("01hq3v8k2m9x4c")


def test_save_bytes_admits_a_valid_record(index: RunIndex) -> None:
    data = canonical_dumps(record("01hq3v8k2m9x4c").to_json_dict())
    assert index.save_bytes("01hq3v8k2m9x4c", data) == record("01hq3v8k2m9x4c")
    assert index.ids() == ["01hq3v8k2m9x4c"]


# Prefix resolution -------------------------------------------------------------------------------


def test_resolve_a_unique_prefix(index: RunIndex) -> None:
    index.save(record("01hq3v8k2m9x4c"))
    index.save(record("01hr000000000a"))
    assert index.resolve("01hq") == "01hq3v8k2m9x4c"
    assert index.resolve("  01HR ") == "01hr000000000a"


def test_resolve_the_full_id(index: RunIndex) -> None:
    index.save(record("01hq3v8k2m9x4c"))
    index.save(record("01hq3v8k2m9x4d"))
    assert index.resolve("01hq3v8k2m9x4c") == "01hq3v8k2m9x4c"


def test_exact_id_wins_over_longer_ids_it_prefixes(index: RunIndex) -> None:
    for run_id in ["01hq", "01hq3", "01hq3v"]:
        index.save(record(run_id))
    assert index.resolve("01hq") == "01hq"
    assert index.resolve("01hq3") == "01hq3"


def test_unknown_prefix(index: RunIndex) -> None:
    index.save(record("01hq3v8k2m9x4c"))
    with pytest.raises(UnknownRunError, match=r"no run matches '01hz'"):
        index.resolve("01hz")


def test_unknown_prefix_in_an_empty_index(index: RunIndex) -> None:
    with pytest.raises(UnknownRunError, match=r"no run matches '0'"):
        index.resolve("0")


def test_ambiguous_prefix_lists_the_matches(index: RunIndex) -> None:
    index.save(record("01hq3v8k2m9x4c"))
    index.save(record("01hq3v8k2m9x4d"))
    index.save(record("01hr000000000a"))
    with pytest.raises(
        AmbiguousRunError,
        match=r"'01hq' matches 2 runs \(01hq3v8k2m9x4c, 01hq3v8k2m9x4d\); give more characters",
    ) as caught:
        index.resolve("01hq")
    assert caught.value.matches == ["01hq3v8k2m9x4c", "01hq3v8k2m9x4d"]


def test_ambiguous_prefix_shows_at_most_five(index: RunIndex) -> None:
    for last in "0123456":
        index.save(record(f"01hq3v8k2m9x4{last}"))
    with pytest.raises(AmbiguousRunError, match=r"matches 7 runs \(.*01hq3v8k2m9x44 …\)"):
        index.resolve("01hq")


# No escape from the folder -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["../x", "../../etc/passwd", "/tmp/x", "a/../b", "", "01hq3v8k2m9x4c0"]
)
def test_invalid_run_ids_are_unknown(index: RunIndex, text: str) -> None:
    with pytest.raises(UnknownRunError, match="no run matches"):
        index.resolve(text)
    with pytest.raises(UnknownRunError, match="no run matches"):
        index.load(text)


def test_invalid_run_ids_touch_no_file_outside_the_index(tmp_path: Path, index: RunIndex) -> None:
    (tmp_path / "x.json").write_bytes(b"{}")
    before = files_under(tmp_path)
    with pytest.raises(UnknownRunError, match=r"no run matches '\.\./x'"):
        index.append_journal("../x", {"event": "started"})
    with pytest.raises(ValueError, match=r"run id '\.\./x' is refused"):
        record("../x")  # a record cannot even hold such an id
    with pytest.raises(UnknownRunError, match=r"no run matches '\.\./x'"):
        index.save_bytes("../x", canonical_dumps(record("01hq").to_json_dict()))
    with pytest.raises(UnknownRunError, match=r"no run matches '\.\./x'"):
        index.has("../x")
    created = files_under(tmp_path) - before
    assert all(path.startswith(".repro") for path in created)
    assert (tmp_path / "x.json").read_bytes() == b"{}"
    assert not os.path.exists(tmp_path / "x.journal")


# Journals ----------------------------------------------------------------------------------------


def test_journal_appends_one_json_line_per_event(tmp_path: Path, index: RunIndex) -> None:
    index.append_journal("01hq3v8k2m9x4c", {"step": "load", "event": "finished"})
    index.append_journal("01hq3v8k2m9x4c", {"step": "train", "event": "started"})
    journal = tmp_path / ".repro" / "runs" / "01hq3v8k2m9x4c.journal"
    assert journal.read_text(encoding="utf-8").splitlines() == [
        '{"event": "finished", "step": "load"}',
        '{"event": "started", "step": "train"}',
    ]


def test_interrupted_lists_runs_with_a_journal_and_no_record(index: RunIndex) -> None:
    assert index.interrupted() == []
    index.append_journal("01hq3v8k2m9x4d", {"event": "started"})
    index.append_journal("01hq3v8k2m9x4c", {"event": "started"})
    index.save(record("01hr000000000a"))
    assert index.interrupted() == ["01hq3v8k2m9x4c", "01hq3v8k2m9x4d"]
    assert index.ids() == ["01hr000000000a"]


def test_save_removes_the_journal(tmp_path: Path, index: RunIndex) -> None:
    index.append_journal("01hq3v8k2m9x4c", {"event": "started"})
    index.save(record("01hq3v8k2m9x4c"))
    assert index.interrupted() == []
    assert not (tmp_path / ".repro" / "runs" / "01hq3v8k2m9x4c.journal").exists()
