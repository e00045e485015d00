"""Issue 19, section 6: ``kill -9`` of ``repro snapshot`` while its worker
processes are hashing leaves none of them running.

A real ``repro snapshot`` hashes a tree big enough to fork workers (more
files than it hashes inline) and slow to read (large sparse files: no disk
used, seconds of reading); once a worker is reading one the test sends
SIGKILL to the command alone, as a user's ``kill -9`` does, and looks for
any of them still alive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_testing import run_repro

from repro.snapshot.hashfiles import INLINE_FILES

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

# Sparse: tens of seconds of reading, and no space on the disk.
BIG = 16 << 30
# A worker killed with its parent dies at once; one still there this long
# after (on a busy machine) was left running.
GRACE = 2.0


def _state(pid: int) -> tuple[int, str] | None:
    """(parent pid, state letter) of a live process; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[1]), fields[0]) if fields[0] not in ("Z", "X") else None


def _reading_big_file(pid: int) -> bool:
    try:
        targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return any(target.endswith("-big.bin") for target in targets)


def _children(parent: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            state = _state(int(entry))
            if state is not None and state[0] == parent:
                found.add(int(entry))
    return found


@pytest.fixture
def big_tree(git_repo: Path) -> Path:
    assert run_repro(git_repo, "init").code == 0
    data = git_repo / "data"
    data.mkdir()
    for index in range(INLINE_FILES + 200):
        (data / f"m-{index:05}.csv").write_bytes(b"%d\n" % index)
    # One at each end of the listing: each worker's run holds one.
    for name in ("a-big.bin", "z-big.bin"):
        with open(data / name, "wb") as file:
            file.truncate(BIG)
    return git_repo


@pytest.fixture
def workers() -> Iterator[set[int]]:
    """The worker pids the test saw; any left alive are ended after it."""
    seen: set[int] = set()
    yield seen
    for pid in seen:
        if _state(pid) is not None:
            os.kill(pid, signal.SIGKILL)


def test_no_hashing_worker_outlives_a_killed_snapshot(big_tree: Path, workers: set[int]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REPRO_DEBUG"}
    command = [sys.executable, "-m", "repro", "snapshot", "data", "--no-store", "--jobs", "2"]
    snapshot = subprocess.Popen(
        command, cwd=big_tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        # Until the workers have started and one of them is hashing a big file.
        while not any(map(_reading_big_file, workers)) and time.monotonic() < deadline:
            assert snapshot.poll() is None, "the snapshot ended before it was killed"
            workers.update(_children(snapshot.pid))
            time.sleep(0.02)
        assert len(workers) == 2 and any(map(_reading_big_file, workers)), workers
        os.kill(snapshot.pid, signal.SIGKILL)
    finally:
        snapshot.kill()
        snapshot.wait()
    deadline = time.monotonic() + GRACE
    while any(_state(pid) is not None for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    alive = {pid for pid in workers if _state(pid) is not None}
    assert not alive, f"workers {sorted(alive)} outlived the killed snapshot by {GRACE} s"
