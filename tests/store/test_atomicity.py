"""A writer killed mid-write (SIGKILL, no cleanup) never leaves a partial
object under a valid id. Each test runs a real writer process and kills it
at a chosen point, which it reports on stdout before it stalls there."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import xxhash

from repro.store import LocalBackend, ObjectNotFoundError, ObjectStore
from repro.store.fsck import fsck

STALL = "import time; print('stalled', flush=True); time.sleep(60)"

STREAM_WRITER = f"""
import sys
from repro.store import LocalBackend, ObjectStore

def chunks():
    for i in range(8):
        yield bytes([i]) * 65536
        if i == 3:
            {STALL}

ObjectStore(LocalBackend(sys.argv[1]), "xxh3-128").write_stream(chunks())
"""

BATCH_WRITER = f"""
import sys
from repro.store import LocalBackend, ObjectStore

store = ObjectStore(LocalBackend(sys.argv[1]), "xxh3-128", pack_threshold=1024)
with store.batch() as batch:
    for i in range(5):
        batch.add(b"object %d" % i)
    {STALL}
"""

# Stalls after the .pack is committed and before its .idx is: the one moment
# a pack file exists that no index names.
PACK_THEN_INDEX_WRITER = f"""
import sys
from repro.store import LocalBackend, ObjectStore

class StallBeforeIndex(LocalBackend):
    def write_atomic(self, path, chunks):
        if path.endswith(".idx"):
            {STALL}
        super().write_atomic(path, chunks)

store = ObjectStore(StallBeforeIndex(sys.argv[1]), "xxh3-128", pack_threshold=1024)
with store.batch() as batch:
    for i in range(5):
        batch.add(b"object %d" % i)
"""

KillWhenStalled = Callable[[str], None]

STREAMED = b"".join(bytes([i]) * 65536 for i in range(8))
BATCHED = [b"object %d" % i for i in range(5)]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def kill_when_stalled(root: Path) -> Iterator[KillWhenStalled]:
    """Run a writer script; SIGKILL it once it says it has stalled."""
    processes: list[subprocess.Popen[bytes]] = []

    def run(script: str) -> None:
        command = [sys.executable, "-c", textwrap.dedent(script), str(root)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        processes.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        if line != b"stalled\n":
            _, errors = process.communicate(timeout=10)
            pytest.fail(f"writer did not reach its stall point: {errors.decode()}")
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL

    yield run
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def open_store(root: Path) -> ObjectStore:
    return ObjectStore(LocalBackend(str(root)), "xxh3-128", pack_threshold=1024)


def temp_files(root: Path) -> list[Path]:
    return sorted(root.rglob(".tmp-*"))


def test_killed_stream_write_stores_no_object(
    root: Path, kill_when_stalled: KillWhenStalled
) -> None:
    kill_when_stalled(STREAM_WRITER)
    [leftover] = temp_files(root)
    assert leftover.stat().st_size < len(STREAMED)  # it was killed mid-object
    store = open_store(root)
    assert not store.exists(xxhash.xxh3_128_hexdigest(STREAMED))
    assert list(store.iter_loose()) == []


def test_killed_stream_write_leaves_the_store_consistent(
    root: Path, kill_when_stalled: KillWhenStalled
) -> None:
    kill_when_stalled(STREAM_WRITER)
    report = fsck(open_store(root))
    assert report.problems == []
    assert report.checked == 0


def test_stream_write_after_a_killed_one_succeeds(
    root: Path, kill_when_stalled: KillWhenStalled
) -> None:
    kill_when_stalled(STREAM_WRITER)
    store = open_store(root)
    oid = store.write_stream(iter([STREAMED]))
    assert store.read(oid) == STREAMED


def test_killed_batch_stores_no_object(root: Path, kill_when_stalled: KillWhenStalled) -> None:
    kill_when_stalled(BATCH_WRITER)
    assert len(temp_files(root)) == 1  # the pack being written
    store = open_store(root)
    assert store.missing(xxhash.xxh3_128_hexdigest(data) for data in BATCHED) == {
        xxhash.xxh3_128_hexdigest(data) for data in BATCHED
    }
    assert store.orphan_packs() == []
    assert fsck(store).ok


def test_killed_between_pack_and_index_leaves_an_orphan_pack(
    root: Path, kill_when_stalled: KillWhenStalled
) -> None:
    kill_when_stalled(PACK_THEN_INDEX_WRITER)
    store = open_store(root)
    [orphan] = store.orphan_packs()
    assert (root / "packs" / f"{orphan}.pack").stat().st_size > 0
    assert not list(store.iter_packed())


def test_objects_of_an_orphan_pack_are_not_readable(
    root: Path, kill_when_stalled: KillWhenStalled
) -> None:
    kill_when_stalled(PACK_THEN_INDEX_WRITER)
    store = open_store(root)
    for data in BATCHED:
        oid = xxhash.xxh3_128_hexdigest(data)
        assert not store.exists(oid)
        with pytest.raises(ObjectNotFoundError, match=f"object {oid} is not in the store"):
            store.read(oid)


def test_fsck_lists_the_orphan_pack_as_a_leftover(
    root: Path, kill_when_stalled: KillWhenStalled
) -> None:
    kill_when_stalled(PACK_THEN_INDEX_WRITER)
    store = open_store(root)
    [orphan] = store.orphan_packs()
    report = fsck(store)
    assert report.ok and report.leftovers == [f"packs/{orphan}.pack"]
