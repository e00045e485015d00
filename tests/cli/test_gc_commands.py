"""``repro gc`` through the real command: counts and sizes, a dry run that
agrees with the real one, and one clear line for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_testing import Repro, one_line_error
from repro_testing import write_files


@pytest.fixture
def snapshotted(repro: Repro, git_repo: Path) -> Repro:
    """A project whose cache holds a snapshot no run references."""
    write_files(git_repo / "data", {"a.txt": b"alpha\n", "b.txt": b"beta\n"})
    assert repro("snapshot", "data").code == 0
    return repro


def test_gc_dry_run_then_gc_remove_the_same_objects(snapshotted: Repro) -> None:
    dry = snapshotted("gc", "--dry-run", "--grace", "0")
    assert dry.code == 0, dry.err
    assert "local cache: would remove 3 objects (" in dry.out
    summary = dry.out.strip().splitlines()[-1]
    assert summary.startswith("gc: would remove 3 objects (") and summary.endswith("0 runs kept")
    done = snapshotted("gc", "--grace", "0", "--json")
    assert done.code == 0, done.err
    local = done.json()["local"]
    assert (local["removed"], local["dry_run"]) == (3, False)
    assert f"({_size(local['removed_bytes'])})" in dry.out
    again = snapshotted("gc", "--grace", "0", "--json").json()
    assert again["local"]["removed"] == 0


def _size(count: int) -> str:
    from repro.cli.output import human_size

    return human_size(count)


def test_gc_keeps_what_was_written_within_the_default_grace_period(snapshotted: Repro) -> None:
    done = snapshotted("gc", "--json")
    assert done.code == 0, done.err
    local = done.json()["local"]
    assert (local["removed"], local["kept_recent"]) == (0, 3)


def test_gc_remote_alone_needs_a_default_remote(repro: Repro) -> None:
    line = one_line_error(repro("gc", "--remote", "--dry-run"))
    assert "no remote given and no default remote" in line


def test_gc_remote_with_an_unknown_name(repro: Repro) -> None:
    line = one_line_error(repro("gc", "--remote", "nowhere"))
    assert "no remote named 'nowhere'" in line


def test_gc_with_a_bad_grace_duration_is_a_usage_error(repro: Repro) -> None:
    result = repro("gc", "--grace", "soon")
    assert "expected a duration such as 30s, 15m, 1h or 2d" in one_line_error(result)
    assert result.code == 2
