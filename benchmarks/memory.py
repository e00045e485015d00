"""Peak memory of snapshotting 100,000 files with store.

Each command runs under a fresh wrapper process that waits for it and then
reads ``RUSAGE_CHILDREN.ru_maxrss``: the largest resident set of any process
in the tree (the command and its forked workers, which it waited for).
Beside it, the peak of the summed PSS of the tree (sampled every 100 ms),
which counts the forked workers' shared pages once. Target: < 300 MiB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Context, Report, note, print_table
from benchmarks.datasets import dataset
from benchmarks.projects import new_repro_project, reset_repro_state

__all__ = ["run"]

TARGET_MIB = 300
_SAMPLE_SECONDS = 0.1
_WRAPPER = """\
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


@dataclass(frozen=True)
class Peak:
    max_rss_kib: int  # the largest single process of the tree
    pss_sum_kib: int  # the largest sampled sum over the tree
    seconds: float

    def as_dict(self) -> dict[str, float]:
        return {
            "max_rss_mib": self.max_rss_kib / 1024,
            "pss_sum_mib": self.pss_sum_kib / 1024,
            "seconds": self.seconds,
        }


def run(ctx: Context) -> Report:
    report = Report("memory")
    data = dataset(ctx, "small")
    project = new_repro_project(ctx, ctx.work / "memory-project")
    target = str(data.target)
    snap = [ctx.repro, "snapshot", target]
    peaks: dict[str, Peak] = {}
    note("floor: repro --version")
    peaks["floor"] = measure([ctx.repro, "--version"], project)
    note(f"snapshot of {data.label}, nothing cached")
    peaks["cold"] = measure(snap, project)
    note(f"snapshot of {data.label}, unchanged")
    peaks["unchanged"] = measure(snap, project)
    reset_repro_state(project)
    note(f"snapshot --no-store of {data.label}, nothing cached")
    peaks["no_store"] = measure([ctx.repro, "snapshot", "--no-store", target], project)
    reset_repro_state(project)
    _print(data.label, peaks)
    report.data = {"dataset": data.describe(), **{k: v.as_dict() for k, v in peaks.items()}}
    for key in ("cold", "unchanged"):
        mib = peaks[key].max_rss_kib / 1024
        report.check(
            f"peak RSS, snapshot of {data.files:,} files with store ({_LABELS[key]})",
            f"{mib:.0f} MiB",
            f"< {TARGET_MIB} MiB",
            mib < TARGET_MIB,
        )
    return report


_LABELS = {
    "floor": "repro --version (floor)",
    "cold": "nothing cached: hash + store",
    "unchanged": "unchanged: stat cache warm",
    "no_store": "--no-store, nothing cached",
}


def measure(argv: list[str], cwd: Path) -> Peak:
    """Peak memory of ``argv`` and every process it waits for."""
    started = time.perf_counter()
    wrapper = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER, *argv],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    sampler = _PssSampler(wrapper.pid)
    sampler.start()
    out, _ = wrapper.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    max_rss, code = (int(field) for field in out.split())
    if code != 0 or wrapper.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}")
    return Peak(max_rss, sampler.peak_kib, seconds)


class _PssSampler(threading.Thread):
    """Samples the summed PSS of the wrapper's descendants (not the wrapper)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kib = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            total = sum(_pss_kib(pid) for pid in _descendants(self.root))
            self.peak_kib = max(self.peak_kib, total)
            self._done.wait(_SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in _children(pending.pop()):
            found.append(child)
            pending.append(child)
    return found


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as file:
                children.extend(int(child) for child in file.read().split())
    except OSError:
        pass  # the process has exited meanwhile
    return children


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass  # exited meanwhile
    return 0


def _print(label: str, peaks: dict[str, Peak]) -> None:
    floor = peaks["floor"].max_rss_kib
    rows = [
        [
            _LABELS[key],
            peak.max_rss_kib / 1024,
            f"{peak.max_rss_kib / floor:.2f}x",
            peak.pss_sum_kib / 1024,
            peak.seconds,
        ]
        for key, peak in peaks.items()
    ]
    headers = ["what", "max RSS MiB", "vs floor", "sum PSS MiB (sampled)", "s"]
    print_table(f"memory: repro snapshot of {label}", headers, rows)
