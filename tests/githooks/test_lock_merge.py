"""``repro lock merge``, pipeline by pipeline: the 3-way rules, the
conflict it records (and that a new entry ends), and bad input, which
leaves our lock as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_testing import one_line_error
from pipeline_testing import cli

from repro.githooks.lockmerge import LockMergeInputError, merge_lock_files, merge_locks
from repro.lineage.lock import LockedPipeline, LockFile, dump_lock, parse_lock

GOLDEN = Path(__file__).resolve().parents[1] / "lineage/golden/lock.yaml"


def _entry(run: str) -> LockedPipeline:
    entry = parse_lock(GOLDEN.read_text()).pipelines["train"]
    return entry.model_copy(update={"run": run})


def _lock(**runs: str) -> LockFile:
    return LockFile(pipelines={name: _entry(run) for name, run in runs.items()})


def _runs(lock: LockFile) -> dict[str, str]:
    return {name: entry.run for name, entry in lock.pipelines.items()}


def test_a_pipeline_changed_on_one_side_takes_that_side() -> None:
    base = _lock(a="a0", b="b0")
    result = merge_locks(base, _lock(a="a1", b="b0"), _lock(a="a0", b="b1"))
    assert _runs(result.lock) == {"a": "a1", "b": "b1"}
    assert result.conflicts == [] and not result.lock.conflicts


def test_the_same_change_on_both_sides_is_taken() -> None:
    result = merge_locks(_lock(a="a0"), _lock(a="a1"), _lock(a="a1"))
    assert _runs(result.lock) == {"a": "a1"} and result.conflicts == []


def test_deleted_on_one_side_and_unchanged_on_the_other_goes() -> None:
    result = merge_locks(_lock(a="a0", b="b0"), _lock(a="a0", b="b0"), _lock(b="b0"))
    assert _runs(result.lock) == {"b": "b0"} and result.conflicts == []


def test_added_on_one_side_is_kept() -> None:
    result = merge_locks(LockFile(), _lock(a="a1"), LockFile())
    assert _runs(result.lock) == {"a": "a1"}


def test_changed_differently_on_both_sides_keeps_ours_and_records_the_conflict() -> None:
    result = merge_locks(_lock(a="a0", b="b0"), _lock(a="a1", b="b0"), _lock(a="a2", b="b1"))
    assert _runs(result.lock) == {"a": "a1", "b": "b1"}
    assert result.conflicts == ["a"]
    conflict = result.lock.conflicts["a"]
    assert (conflict.ours, conflict.theirs) == ("a1", "a2")


def test_changed_on_one_side_and_deleted_on_the_other_keeps_the_change() -> None:
    result = merge_locks(_lock(a="a0"), LockFile(), _lock(a="a2"))
    assert _runs(result.lock) == {"a": "a2"} and result.conflicts == ["a"]
    assert (result.lock.conflicts["a"].ours, result.lock.conflicts["a"].theirs) == (None, "a2")


def test_a_new_entry_for_the_pipeline_ends_its_conflict() -> None:
    conflicted = merge_locks(_lock(a="a0", b="b0"), _lock(a="a1", b="b1"), _lock(a="a2", b="b2"))
    assert set(conflicted.lock.conflicts) == {"a", "b"}
    resolved = conflicted.lock.with_pipeline("a", _entry("a3"))
    assert set(resolved.conflicts) == {"b"}


def test_the_conflict_reads_back_and_says_how_to_resolve_it() -> None:
    result = merge_locks(_lock(a="a0"), _lock(a="a1"), _lock(a="a2"))
    text = dump_lock(result.lock)
    assert parse_lock(text) == result.lock
    assert "# CONFLICT repro.lock: pipeline a changed on both sides" in text
    assert "run `repro run flows/train.py:train` to resolve" in text


def test_a_lock_without_conflicts_has_no_conflicts_key() -> None:
    assert "conflicts" not in dump_lock(_lock(a="a0"))
    assert GOLDEN.read_text() == dump_lock(parse_lock(GOLDEN.read_text()))


def _files(tmp_path: Path, base: str, ours: str, theirs: str) -> list[Path]:
    paths = [tmp_path / "base", tmp_path / "ours", tmp_path / "theirs"]
    for path, text in zip(paths, (base, ours, theirs), strict=True):
        path.write_text(text)
    return paths


def test_the_result_replaces_ours(tmp_path: Path) -> None:
    texts = [dump_lock(_lock(a="a0", b="b0")), dump_lock(_lock(a="a1", b="b0"))]
    base, ours, theirs = _files(tmp_path, *texts, dump_lock(_lock(a="a0", b="b1")))
    merge_lock_files(str(base), str(ours), str(theirs))
    assert ours.read_text() == dump_lock(_lock(a="a1", b="b1"))


def test_an_empty_base_is_a_lock_with_no_pipelines(tmp_path: Path) -> None:
    base, ours, theirs = _files(tmp_path, "", dump_lock(_lock(a="a1")), dump_lock(_lock(b="b1")))
    assert _runs(merge_lock_files(str(base), str(ours), str(theirs)).lock) == {"a": "a1", "b": "b1"}


def test_a_corrupt_lock_names_its_side_and_leaves_ours_alone(tmp_path: Path) -> None:
    ours_text = dump_lock(_lock(a="a1"))
    base, ours, theirs = _files(tmp_path, dump_lock(_lock(a="a0")), ours_text, "pipelines: [\n")
    with pytest.raises(LockMergeInputError, match=r"the merged branch's version \(.*theirs\)"):
        merge_lock_files(str(base), str(ours), str(theirs))
    assert ours.read_text() == ours_text


def test_the_command_exits_1_on_a_conflict_and_says_how_to_resolve(tmp_path: Path) -> None:
    texts = [dump_lock(_lock(a="a0")), dump_lock(_lock(a="a1")), dump_lock(_lock(a="a2"))]
    base, ours, theirs = _files(tmp_path, *texts)
    result = cli(tmp_path, "lock", "merge", str(base), str(ours), str(theirs))
    assert result.code == 1
    assert "pipeline a changed on both sides" in result.err
    assert "`repro run flows/train.py:train`" in result.err
    assert parse_lock(ours.read_text()).conflicts["a"].theirs == "a2"


def test_the_command_names_a_corrupt_file_in_one_line(tmp_path: Path) -> None:
    ours_text = dump_lock(_lock(a="a1"))
    base, ours, theirs = _files(tmp_path, "schema: repro.lock/v1\n\tbad", ours_text, ours_text)
    error = one_line_error(cli(tmp_path, "lock", "merge", str(base), str(ours), str(theirs)))
    assert f"the common ancestor's version ({base}) is not a valid lock" in error
    assert ours.read_text() == ours_text


def test_a_lock_from_a_newer_repro_asks_for_an_upgrade(tmp_path: Path) -> None:
    newer = "schema: repro.lock/v9\npipelines: {}\n"
    base, ours, theirs = _files(tmp_path, "", dump_lock(_lock(a="a1")), newer)
    with pytest.raises(LockMergeInputError, match=r"schema repro.lock/v9\); upgrade repro"):
        merge_lock_files(str(base), str(ours), str(theirs))
