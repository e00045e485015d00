"""The campaign's command line: pick the rows, run them, print the table."""

from __future__ import annotations

import argparse
import importlib
import os
import random
import shutil
import stat
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.campaign.report import Row, render
from benchmarks.campaign.world import World

__all__ = ["ROWS", "main"]


@dataclass(frozen=True)
class Spec:
    key: str
    kind: str  # the table's wording
    target: str  # module:function, called as function(world, row, trials, **sizes)
    full: int  # trials (the count or more)
    quick: int
    sizes: tuple[str, ...] = ()  # which size options it takes


ROWS = (
    Spec("kill-run", "`kill -9` of `repro run` mid-run (quickstart)", "crash:kill_run", 24, 2),
    Spec(
        "kill-snapshot",
        "`kill -9` of `repro snapshot` (big tree)",
        "crash:kill_snapshot",
        22,
        3,
        ("files", "mib"),
    ),
    Spec(
        "kill-push-folder",
        "`kill -9` of `repro push`, folder remote",
        "crash:kill_push_folder",
        32,
        4,
        ("push_files", "push_mib"),
    ),
    Spec(
        "kill-push-s3",
        "`kill -9` of `repro push`, S3 (moto on loopback)",
        "crash:kill_push_s3",
        12,
        2,
        ("push_files", "push_mib"),
    ),
    Spec("two-runs", "two runs at once", "concurrent:two_runs", 10, 1),
    Spec("two-snapshots", "two snapshots at once", "concurrent:two_snapshots", 10, 2),
    Spec("gc-during-run", "gc during a run", "concurrent:gc_during_run", 10, 1),
    Spec("two-clones-push", "two clones pushing at once", "concurrent:two_clones_push", 6, 1),
    Spec(
        "tampered-remote",
        "tampered remote (packs, indexes, objects, trees, records) x pull/replay/fsck",
        "remote_attacks:tampered_remote",
        24,
        24,
    ),
    Spec(
        "hostile-lock",
        "hostile `repro.lock` (10 kinds x 10 commands)",
        "hostile:hostile_lock",
        100,
        20,
    ),
    Spec(
        "crafted-trees",
        "crafted remote trees (`../x`, absolute, `.git/hooks/x`, …)",
        "remote_attacks:crafted_trees",
        5,
        5,
    ),
    Spec(
        "crafted-records",
        "crafted remote run records",
        "remote_attacks:crafted_records",
        10,
        10,
    ),
    Spec("gc-promotion", "gc after a model promotion", "promotion:gc_after_promotion", 2, 2),
    Spec(
        "alias-bomb",
        "YAML alias bomb inside `repro.lock`",
        "hostile:alias_bomb",
        4,
        2,
    ),
    Spec("bad-config", "bad `config.toml` / `config.local.toml`", "hostile:bad_config", 128, 64),
    Spec("ui-xss", "XSS in the report and UI pages", "web:xss", 60, 20),
    Spec("ui-hosts", "foreign Host headers (UI)", "web:host_headers", 18, 18),
)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.list:
        for spec in ROWS:
            print(f"{spec.key:18} {spec.full:4} ({spec.quick} quick)  {spec.kind}")
        return 0
    specs = _select(args.only)
    if not specs:
        print(f"error: no row matches {args.only}; see --list", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    root = Path(tempfile.mkdtemp(prefix="repro-campaign-", dir=args.tmp))
    world = World(root, random.Random(seed), args.quick)
    sizes = _sizes(args)
    print(
        f"repro campaign: {len(specs)} rows, {'quick' if args.quick else 'full'}, seed {seed}, "
        f"in {root} (python {sys.executable})",
        file=sys.stderr,
    )
    rows: list[Row] = []
    began = time.monotonic()
    try:
        for spec in specs:
            rows.append(_run_row(world, spec, args, sizes))
    except KeyboardInterrupt:
        print("interrupted: the table holds the rows that finished", file=sys.stderr)
    finally:
        world.close()
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            _remove(root)
    seconds = time.monotonic() - began
    print()
    print(render(rows, seconds))
    return 0 if rows and all(row.passed for row in rows) and len(rows) == len(specs) else 1


def _run_row(world: World, spec: Spec, args: argparse.Namespace, sizes: dict[str, int]) -> Row:
    trials = args.trials or (spec.quick if args.quick else spec.full)
    row = Row(spec.key, spec.kind)
    print(f"[{spec.key}] {trials} trials …", file=sys.stderr, flush=True)
    began = time.monotonic()
    module, name = spec.target.split(":")
    function: Callable[..., Any] = getattr(
        importlib.import_module(f"benchmarks.campaign.{module}"), name
    )
    try:
        function(world, row, trials, **{k.removeprefix("push_"): sizes[k] for k in spec.sizes})
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # the row's own setup broke: say so, go on
        row.error = f"{type(exc).__name__}: {exc}"
        if args.verbose:
            traceback.print_exc()
    row.seconds = time.monotonic() - began
    state = "ok" if row.passed else "NOT HELD"
    print(
        f"[{spec.key}] {row.held}/{len(row.trials)} held, {row.seconds:.0f}s: {state}"
        + (f" (row broke: {row.error})" if row.error else ""),
        file=sys.stderr,
        flush=True,
    )
    if args.verbose:
        for trial in row.failures():
            print(f"    {trial.label}: {trial.reason}", file=sys.stderr)
    return row


def _select(only: list[str]) -> list[Spec]:
    if not only:
        return list(ROWS)
    wanted = [w.strip() for item in only for w in item.split(",") if w.strip()]
    return [spec for spec in ROWS if any(spec.key.startswith(w) for w in wanted)]


def _sizes(args: argparse.Namespace) -> dict[str, int]:
    if args.full_size:
        files, mib = 20_000, 640
    else:
        files, mib = (1_000, 32) if args.quick else (5_000, 160)
    push_files, push_mib = (600, 64) if args.quick else (1_000, 96)
    return {
        "files": args.snapshot_files or files,
        "mib": args.snapshot_mib or mib,
        "push_files": args.push_files or push_files,
        "push_mib": args.push_mib or push_mib,
    }


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.campaign",
        description="Re-run the issue-19 attack and bad-luck campaign; print a Markdown table.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer trials (under ~5 min)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="KIND",
        help="only rows whose key starts with KIND (repeatable, or comma-separated); see --list",
    )
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    parser.add_argument("--trials", type=int, help="this many trials in every row chosen")
    parser.add_argument(
        "--full-size",
        action="store_true",
        help="snapshot rows on the issue's tree: 20,000 files, 640 MiB",
    )
    parser.add_argument("--snapshot-files", type=int, help="files in the snapshot tree")
    parser.add_argument("--snapshot-mib", type=int, help="MiB in the snapshot tree")
    parser.add_argument("--push-files", type=int, help="files in the pushed data folder")
    parser.add_argument("--push-mib", type=int, help="MiB in the pushed data folder")
    parser.add_argument("--seed", type=int, help="random seed (kill moments, data)")
    parser.add_argument("--tmp", help="folder to make the temp area in (default: $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the temp area")
    parser.add_argument("-v", "--verbose", action="store_true", help="print failures as they come")
    return parser.parse_args(argv)


def _remove(root: Path) -> None:
    def writable(function: Callable[..., Any], path: str, _exc: object) -> None:
        parent = os.path.dirname(path)
        os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR | stat.S_IXUSR)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR | stat.S_IXUSR | stat.S_IRUSR)
        function(path)

    shutil.rmtree(root, onerror=writable)  # onexc from 3.12; onerror still works there
