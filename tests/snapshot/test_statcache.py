from __future__ import annotations

from pathlib import Path

from repro_testing import age, write_files

from repro.snapshot import StatCache, snapshot
from repro.snapshot.statcache import CachedTree

ALGO = "xxh3-128"
OLD = 1_000_000_000_000_000_000  # an mtime long before "now"
ENTRY = (1, 1, 1, False, "a" * 32)


def test_a_tree_computed_from_a_stale_view_is_not_remembered(tmp_path: Path) -> None:
    db = str(tmp_path / "state.db")
    mine, theirs = StatCache(db, ALGO), StatCache(db, ALGO)
    seen = mine.load("/data")
    theirs.save({"/data": {"f": ENTRY}}, started_ns=OLD * 2)  # another process, meanwhile
    mine.save(
        {"/data": {"g": ENTRY}}, OLD * 2, base=seen, tree=("/data", CachedTree("b" * 32, 2, 2))
    )
    assert mine.tree("/data") is None


def test_a_tree_from_an_up_to_date_view_is_remembered(tmp_path: Path) -> None:
    cache = StatCache(str(tmp_path / "state.db"), ALGO)
    seen = cache.load("/data")
    tree = CachedTree("b" * 32, 1, 1)
    cache.save({"/data": {"g": ENTRY}}, OLD * 2, base=seen, tree=("/data", tree))
    assert cache.tree("/data") == tree


def test_a_damaged_database_is_rebuilt(tmp_path: Path) -> None:
    data = write_files(tmp_path / "d", {"a": b"1"})
    age(data)
    db = tmp_path / "state.db"
    cache = StatCache(str(db), ALGO)
    first = snapshot(str(data), algorithm=ALGO, stat_cache=cache)
    with open(db, "r+b") as file:  # garbage over the pages, keeping the header
        file.seek(100)
        file.write(b"\xff" * 4000)
    again = snapshot(str(data), algorithm=ALGO, stat_cache=cache)
    assert again.oid == first.oid
