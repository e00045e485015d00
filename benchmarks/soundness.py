"""What discovered inputs (files a step opens that nothing declares) cost.

Every figure is a ratio of two things timed in the same rounds, taken in
turn (the machine is noisy: other processes run beside). A ratio is given
two ways: of the two medians, and the median of the per-round ratios (each
round's pair ran back to back) with their spread (min..max). The targets
are checked on the median per-round ratio.

1. The no-op ``repro run`` of examples/quickstart (run once, committed,
   nothing changed): <= 0.3 s, and within 1.2x of the repro of commit
   e178d4f (before discovered inputs), checked out in a temporary Git
   worktree and run on a copy of its own (its lock and cache may differ).
   Both are started alike, ``python -m repro`` with ``PYTHONPATH`` naming
   the code: same interpreter, same packages.
2. Tracing a shell step that opens 1,000 files (``cat files/*.txt``):
   ``repro run --no-cache`` traced against untraced (a fake ``strace`` that
   fails first on ``PATH``: repro's probe then finds no tracer), <= 1.15x;
   with the folder declared as a dep (the target), and undeclared (1,000
   discovered inputs to hash and record). Beside it the bare command under
   ``strace`` with repro's flags and variants (no ``--seccomp-bpf``, a
   short ``-s``), the probe, reading and parsing the trace, and making its
   paths project paths, each timed apart: where the step's time goes.
3. Read recording of Python steps (audit hooks): ``repro run --no-cache``
   of the quickstart as shipped against a launcher that swaps the steps'
   ``recording_reads`` for one that records nothing (only in that child
   process; repro is not edited), <= 1.05x. A third variant swaps every
   recording, the pipeline's import too, so the hook is never installed.
   Whole runs are seconds of model training, so the ratio is mostly noise:
   three more (untimed) runs sum the time spent inside the hook, for the
   steps' recordings and the import's apart.
4. The all-cached Docker run (a shell step, its image pinned by digest in
   the pipeline code): < 0.5 s, beside the e178d4f repro doing the same in
   an image built with its own code (which writes a run record each time),
   and today's bare ``repro run pipeline.py:p`` (the lock's backend, docker:
   answered before the full CLI loads, which any flag prevents).
   Only where an engine answers and an image is there: the newest
   ``repro-test-runtime`` (the tests' image) is reused, else built; the
   e178d4f image is built from the base (the engine's layer cache makes
   that quick) and left for the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.common import (
    REPO_ROOT,
    CommandError,
    Context,
    Report,
    fresh_dir,
    interleaved,
    note,
    print_table,
    run_command,
    timed,
)
from benchmarks.projects import git, git_commit_all, new_git_repo

if TYPE_CHECKING:
    from docker import DockerClient

__all__ = ["run"]

OLD_COMMIT = "e178d4f"
NO_OP_BUDGET_S = 0.3
NO_OP_VS_OLD = 1.2
TRACING_BUDGET = 1.15
READS_BUDGET = 1.05
DOCKER_NO_OP_BUDGET_S = 0.5
FILES = 1000
SHELL_COMMAND = "cat files/*.txt > out.txt"
BASE_IMAGE = "repro-base:bookworm"
TEST_RUNTIME = "repro-test-runtime"
REPOSITORY = "repro-bench-soundness"
RUNTIME_TAG = "runtime"  # held on the tests' image while it is measured
UNTRACED_WARNING = "no working strace here"

TRACE_PIPELINE = f'''\
from repro import pipeline, sh


@pipeline
def declared() -> None:
    sh("{SHELL_COMMAND}", name="concat", deps=["files"], outs=["out.txt"])


@pipeline
def undeclared() -> None:
    sh("{SHELL_COMMAND}", name="concat", outs=["out.txt"])
'''

DOCKER_PIPELINE = """\
from repro import pipeline, sh


@pipeline(image="{image}")
def p(text: str = "hi") -> None:
    sh("echo {{text}} > out.txt", name="echo", outs=["out.txt"], params={{"text": text}})
"""

# argv: LAUNCHER MODE repro-arguments...; MODE is "on" (as shipped),
# "steps-off" (the steps' recording_reads records nothing), "all-off" (no
# recording at all: the audit hook is never installed) or "measure" (as
# shipped, with the time spent in the hook summed, for the steps' recordings
# and the import's apart: untimed runs only).
READS_LAUNCHER = """\
import atexit, os, sys, time
from contextlib import contextmanager

import repro.reads as reads

mode = sys.argv.pop(1)
real = reads.recording_reads
swapped = []
hook = {"steps": [0, 0.0], "import": [0, 0.0]}
step_reads = []  # held, so that no id is reused


def from_steps():
    return sys._getframe(2).f_globals.get("__name__") == "repro.backends.execute"


@contextmanager
def nothing(root):
    swapped.append(root)
    yield reads.Reads(os.path.realpath(root))


def steps_off(root):
    return (nothing if from_steps() else real)(root)


@contextmanager
def tagged(root, step):
    with real(root) as found:
        if step:
            step_reads.append(found)
        yield found


def measured(root):
    return tagged(root, from_steps())


def timed_audit(event, args, audit=reads._audit):
    if event != "open" or reads._current.get() is None:
        return
    started = time.perf_counter()
    audit(event, args)
    current = reads._current.get()
    spent = hook["steps" if any(found is current for found in step_reads) else "import"]
    spent[0] += 1
    spent[1] += time.perf_counter() - started


def summary():
    said = f"launcher: {mode}: {len(swapped)} swapped"
    for name, (events, seconds) in hook.items():
        said += f" {name} {events} {seconds!r}"
    print(said, file=sys.stderr)


if mode == "steps-off":
    reads.recording_reads = steps_off
elif mode == "all-off":
    reads.recording_reads = nothing
elif mode == "measure":
    reads.recording_reads = measured
    reads._audit = timed_audit  # what _install() hands to sys.addaudithook
atexit.register(summary)
from repro.cli.entry import main

main()
"""


OLD_IMAGE_BUILD = """\
import sys

from repro.images.build import build_image
from repro.images.engine import docker_client

client = docker_client()
print(build_image(sys.argv[1], push=False, client=client, tag=sys.argv[2]).pinned)
"""


def run(ctx: Context) -> Report:
    report = Report("soundness")
    quick = ctx.quick
    with _old_checkout() as old:
        _no_op(ctx, report, old, rounds=5 if quick else 15)
        _tracing(ctx, report, rounds=3 if quick else 10)
        _reads(ctx, report, rounds=2 if quick else 8)
        _docker(ctx, report, old, rounds=3 if quick else 10)
    return report


# --- launching the two repros ------------------------------------------------


def _environment(code: Path, **extra: str) -> dict[str, str]:
    """The environment of a child repro: bytecode caches on (as on a
    user's machine), ``code`` first on the module path."""
    drop = ("REPRO_DEBUG", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, "PYTHONPATH": str(code), **extra}


def _repro(*args: str) -> list[str]:
    return [sys.executable, "-m", "repro", *args]


def _call(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise CommandError(argv, done.returncode, done.stderr + done.stdout[-2000:])
    return done


@contextmanager
def _old_checkout() -> Iterator[Path]:
    """The repro of ``OLD_COMMIT`` in a temporary worktree, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"repro-{OLD_COMMIT}-"))
    git_dir = ["git", "-C", str(REPO_ROOT)]
    note(f"worktree of {OLD_COMMIT} at {folder}")
    run_command([*git_dir, "worktree", "add", "--detach", str(folder), OLD_COMMIT])
    try:
        yield folder
    finally:
        subprocess.run(
            [*git_dir, "worktree", "remove", "--force", str(folder)], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([*git_dir, "worktree", "prune"], capture_output=True)


def _quickstart(path: Path) -> Path:
    """A copy of examples/quickstart, committed in a Git repository of its own."""
    if path.exists():
        shutil.rmtree(path)
    shutil.copytree(
        REPO_ROOT / "examples" / "quickstart",
        path,
        ignore=shutil.ignore_patterns(
            "demo.sh", "repro.lock", "__pycache__", "cache", "runs", "steps", "tmp", "outputs"
        ),
    )
    git(path, "init", "-q")
    git_commit_all(path, "quickstart")
    return path


# --- figures -------------------------------------------------------------------


def _ratio(seconds: Mapping[str, list[float]], base: str, other: str) -> dict[str, float]:
    """``other`` / ``base``: of the medians, and per round (median, min, max)."""
    rounds = [b / a for a, b in zip(seconds[base], seconds[other], strict=True)]
    return {
        "base_s": statistics.median(seconds[base]),
        "other_s": statistics.median(seconds[other]),
        "of_medians": statistics.median(seconds[other]) / statistics.median(seconds[base]),
        "median": statistics.median(rounds),
        "min": min(rounds),
        "max": max(rounds),
    }


def _ratio_row(label: str, ratio: Mapping[str, float]) -> list[object]:
    return [
        label,
        ratio["base_s"],
        ratio["other_s"],
        ratio["of_medians"],
        ratio["median"],
        f"{ratio['min']:.3f}..{ratio['max']:.3f}",
    ]


RATIO_HEADERS = ["B vs A", "A median s", "B median s", "B/A medians", "B/A per round", "spread"]


def _ratio_text(ratio: Mapping[str, float]) -> str:
    return f"{ratio['median']:.3f}x ({ratio['min']:.2f}..{ratio['max']:.2f})"


# --- 1. the no-op run, against e178d4f ----------------------------------------------


def _no_op(ctx: Context, report: Report, old: Path, rounds: int) -> None:
    envs = {"new": _environment(REPO_ROOT), "old": _environment(old)}
    projects = {}
    for name, env in envs.items():
        project = _quickstart(ctx.work / f"soundness-quickstart-{name}")
        note(f"quickstart, {name} repro: first run (executes every step), then commit")
        _call(_repro("run"), project, env)
        git_commit_all(project, "run")
        projects[name] = project

    def no_op(name: str) -> Callable[[], object]:
        def call() -> None:
            done = _call(_repro("run"), projects[name], envs[name])
            assert "up to date" in done.stdout, done.stdout

        return call

    actions = {
        f"repro {OLD_COMMIT} (before)": no_op("old"),
        "repro now": no_op("new"),
        "python -c pass": lambda: _call([sys.executable, "-c", "pass"], ctx.work, envs["new"]),
    }
    for action in actions.values():  # bytecode caches written, files in the page cache
        action()
    note(f"no-op repro run: {rounds} interleaved rounds")
    seconds = interleaved(rounds, actions)
    now = statistics.median(seconds["repro now"])
    ratio = _ratio(seconds, f"repro {OLD_COMMIT} (before)", "repro now")
    floor = statistics.median(seconds["python -c pass"])
    print_table(
        f"no-op run of the quickstart, median of {rounds}",
        ["", "seconds"],
        [[name, statistics.median(values)] for name, values in seconds.items()],
    )
    print_table(
        "no-op run: now (B) vs before discovered inputs (A)",
        RATIO_HEADERS,
        [_ratio_row(f"repro now vs {OLD_COMMIT}", ratio)],
    )
    report.data["no_op"] = {"seconds": seconds, "ratio": ratio, "python_s": floor}
    report.check(
        "no-op repro run of the quickstart",
        f"{now:.3f} s",
        f"<= {NO_OP_BUDGET_S} s",
        now <= NO_OP_BUDGET_S,
    )
    report.check(
        f"no-op run, now / {OLD_COMMIT}",
        _ratio_text(ratio),
        f"<= {NO_OP_VS_OLD}x",
        ratio["median"] <= NO_OP_VS_OLD,
    )


# --- 2. tracing a shell step ---------------------------------------------------------


def _trace_project(ctx: Context) -> Path:
    project = new_git_repo(ctx.work / "soundness-trace")
    files = project / "files"
    files.mkdir()
    for index in range(FILES):
        (files / f"f{index:04d}.txt").write_text(f"line {index}\n")
    (project / "pipeline.py").write_text(TRACE_PIPELINE)
    (project / ".gitignore").write_text("out.txt\n")
    _call(_repro("init"), project, _environment(REPO_ROOT))
    git_commit_all(project, "files")
    return project


def _fake_strace(ctx: Context) -> Path:
    """A folder whose ``strace`` fails: on ``PATH`` first, repro finds no tracer."""
    folder = fresh_dir(ctx.work / "soundness-no-strace")
    fake = folder / "strace"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    return folder


def _tracing(ctx: Context, report: Report, rounds: int) -> None:
    from repro.backends.tracing import tracer

    strace = tracer()
    if strace is None:
        note("no working strace: tracing not measured")
        report.data["tracing"] = {"skipped": "no working strace here"}
        return
    project = _trace_project(ctx)
    traced_env = _environment(REPO_ROOT)
    path = f"{_fake_strace(ctx)}{os.pathsep}{os.environ.get('PATH', '')}"
    untraced_env = _environment(REPO_ROOT, PATH=path)
    step_seconds: dict[str, list[float]] = {}

    def command(name: str, pipeline: str, traced: bool) -> Callable[[], str]:
        argv = _repro("run", f"pipeline.py:{pipeline}", "--no-cache", "--json")

        def call() -> str:
            done = _call(argv, project, traced_env if traced else untraced_env)
            assert (UNTRACED_WARNING in done.stderr) != traced, done.stderr
            doc = json.loads(done.stdout)
            step_seconds.setdefault(name, []).append(doc["steps"][0]["duration"])
            return str(doc["run"])

        return call

    names = [f"{p}, {t}" for p in ("declared", "undeclared") for t in ("untraced", "traced")]
    actions = {
        name: command(name, name.split(", ")[0], name.endswith(", traced")) for name in names
    }
    note(f"shell step opening {FILES} files: warm-up")
    runs = {name: action() for name, action in actions.items()}
    # The trace saw every file: the undeclared step discovered all of them.
    discovered = {name: _discovered(project, run_id) for name, run_id in runs.items()}
    expected = {name: FILES if name == "undeclared, traced" else 0 for name in runs}
    assert discovered == expected, discovered
    step_seconds.clear()
    note(f"repro run --no-cache, traced and not: {rounds} interleaved rounds")
    seconds = interleaved(rounds, actions)
    ratios = {
        pipeline: _ratio(seconds, f"{pipeline}, untraced", f"{pipeline}, traced")
        for pipeline in ("declared", "undeclared")
    }
    steps = {
        pipeline: _ratio(step_seconds, f"{pipeline}, untraced", f"{pipeline}, traced")
        for pipeline in ("declared", "undeclared")
    }
    bare = _bare_trace(ctx, project, strace, rounds=max(10, 3 * rounds))
    rows = [
        _ratio_row("repro run, files/ a declared dep", ratios["declared"]),
        _ratio_row(f"repro run, undeclared ({FILES} discovered)", ratios["undeclared"]),
        _ratio_row("the step alone (its duration), declared", steps["declared"]),
        _ratio_row("the step alone (its duration), undeclared", steps["undeclared"]),
        _ratio_row("bare command, repro's strace flags", bare["ratios"]["traced"]),
        _ratio_row("bare command, no --seccomp-bpf", bare["ratios"]["no seccomp-bpf"]),
        _ratio_row("bare command, -s 256", bare["ratios"]["-s 256"]),
    ]
    print_table(
        f"`{SHELL_COMMAND}` ({FILES} files opened): traced (B) vs untraced (A)",
        RATIO_HEADERS,
        rows,
    )
    print_table(
        "where a traced run's time goes (ms, medians)", ["", "ms"], _anatomy(ratios, steps, bare)
    )
    print(f"  seccomp-bpf: {bare['seccomp_bpf']}")
    report.data["tracing"] = {
        "seconds": seconds,
        "step_seconds": step_seconds,
        "ratios": ratios,
        "step_ratios": steps,
        "bare": bare,
    }
    report.check(
        f"repro run of a shell step opening {FILES} files, traced / untraced",
        _ratio_text(ratios["declared"]),
        f"<= {TRACING_BUDGET}x",
        ratios["declared"]["median"] <= TRACING_BUDGET,
    )


def _anatomy(
    ratios: Mapping[str, Mapping[str, float]],
    steps: Mapping[str, Mapping[str, float]],
    bare: Mapping[str, Any],
) -> list[list[object]]:
    """The declared step's added time, split into what was timed apart."""

    def added(ratio: Mapping[str, float]) -> float:
        return (ratio["other_s"] - ratio["base_s"]) * 1000

    step = added(steps["declared"])
    parts = {
        "strace on the command (bare: traced - untraced)": added(bare["ratios"]["traced"]),
        "the probe, `strace -f -qq --seccomp-bpf -o /dev/null true`": bare["probe_s"] * 1000,
        f"reading and parsing the trace ({bare['trace_lines']} lines)": bare["parse_s"] * 1000,
        f"project_path of the {bare['paths']} paths seen (realpath)": bare["paths_s"] * 1000,
    }
    return [
        ["repro run: traced - untraced", added(ratios["declared"])],
        ["the step's duration: traced - untraced", step],
        *([f"  {label}", value] for label, value in parts.items()),
        ["  the rest of the step (step delta - the above)", step - sum(parts.values())],
        ["undeclared: the step's duration, traced - untraced", added(steps["undeclared"])],
    ]


def _discovered(project: Path, run_id: str) -> int:
    record = json.loads((project / ".repro" / "runs" / f"{run_id}.json").read_text())
    found = record["steps"]["concat"]["fingerprints"].get("discovered") or {}
    return len(found)


def _bare_trace(ctx: Context, project: Path, strace: str, rounds: int) -> dict[str, Any]:
    """The command alone, under ``strace`` as repro runs it and variants;
    the probe; reading and parsing the trace; its paths made project paths
    (as ``repro.backends.execute._run_command`` does each)."""
    from repro.backends.tracing import parse_trace, traced
    from repro.reads import project_path

    trace_file = str(ctx.work / "soundness-bare.trace")
    command = ["/bin/sh", "-c", SHELL_COMMAND]
    flags = traced(command, trace_file, strace)
    no_seccomp = [arg for arg in flags if arg != "--seccomp-bpf"]
    short = [("256" if arg == "65535" else arg) for arg in flags]
    probe = [strace, "-f", "-qq", "--seccomp-bpf", "-o", os.devnull, "true"]

    def call(argv: list[str]) -> Callable[[], object]:
        return lambda: run_command(argv, cwd=project)

    actions = {
        "untraced": call(command),
        "traced": call(flags),
        "no seccomp-bpf": call(no_seccomp),
        "-s 256": call(short),
        "probe": call(probe),
    }
    for action in actions.values():
        action()
    note(f"the bare command: {rounds} interleaved rounds")
    seconds = interleaved(rounds, actions)
    run_command(flags, cwd=project)
    text = Path(trace_file).read_text(encoding="utf-8", errors="surrogateescape")
    seen = parse_trace(text, str(project))
    opened = sum(1 for path in seen.read if path.startswith(str(project / "files") + os.sep))
    assert opened == FILES, f"the trace saw {opened} files opened, not {FILES}"

    def read_and_parse() -> None:
        with open(trace_file, encoding="utf-8", errors="surrogateescape") as file:
            parse_trace(file.read(), str(project))

    root = os.path.realpath(project)
    paths = [*seen.read, *seen.written]
    parse_s = statistics.median(timed(read_and_parse) for _ in range(9))
    paths_s = statistics.median(
        timed(lambda: [project_path(root, path) for path in paths]) for _ in range(9)
    )
    check = subprocess.run(
        [strace, "-f", "--seccomp-bpf", "-e", "trace=openat", "-o", os.devnull, "true"],
        capture_output=True,
        text=True,
    )
    return {
        "seconds": seconds,
        "ratios": {
            name: _ratio(seconds, "untraced", name)
            for name in ("traced", "no seccomp-bpf", "-s 256")
        },
        "probe_s": statistics.median(seconds["probe"]),
        "parse_s": parse_s,
        "trace_lines": len(text.splitlines()),
        "paths_s": paths_s,
        "paths": len(paths),
        "files_opened": opened,
        "seccomp_bpf": check.stderr.strip() or "available (strace says nothing)",
    }


# --- 3. read recording of Python steps -----------------------------------------------


def _reads(ctx: Context, report: Report, rounds: int) -> None:
    project = _quickstart(ctx.work / "soundness-quickstart-reads")
    launcher = ctx.work / "soundness-launcher.py"
    launcher.write_text(READS_LAUNCHER)
    env = _environment(REPO_ROOT)
    step_seconds: dict[str, list[float]] = {}
    swapped: dict[str, int] = {}

    def command(mode: str) -> Callable[[], dict[str, Any]]:
        argv = [sys.executable, str(launcher), mode, "run", "--no-cache", "--json"]

        def call() -> dict[str, Any]:
            started = time.perf_counter()
            done = _call(argv, project, env)
            wall = time.perf_counter() - started
            doc = json.loads(done.stdout)
            ran = [s["duration"] for s in doc["steps"] if s["status"] == "executed"]
            step_seconds.setdefault(mode, []).append(sum(ran))
            said = done.stderr.rsplit(f"launcher: {mode}: ", 1)[1].split()
            swapped[mode] = int(said[0])
            # "N swapped steps EVENTS SECONDS import EVENTS SECONDS"
            return {
                "wall_s": wall,
                "steps_s": sum(ran),
                "hook_steps": (int(said[3]), float(said[4])),
                "hook_import": (int(said[6]), float(said[7])),
            }

        return call

    actions = {
        "steps-off": command("steps-off"),
        "on": command("on"),
        "all-off": command("all-off"),
    }
    note("quickstart --no-cache, read recording on and off: warm-up")
    for action in actions.values():
        action()
    # Each executed Python step's recording was swapped; all-off also the import's.
    assert swapped["on"] == 0 and swapped["steps-off"] >= 5, swapped
    assert swapped["all-off"] > swapped["steps-off"], swapped
    step_seconds.clear()
    note(f"quickstart --no-cache: {rounds} interleaved rounds")
    seconds = interleaved(rounds, actions)
    ratios = {
        "steps": _ratio(seconds, "steps-off", "on"),
        "all": _ratio(seconds, "all-off", "on"),
        "step_time": _ratio(step_seconds, "steps-off", "on"),
    }
    print_table(
        "repro run --no-cache of the quickstart: read recording on (B) vs off (A)",
        RATIO_HEADERS,
        [
            _ratio_row("whole run, steps' recording off (A)", ratios["steps"]),
            _ratio_row("steps' time only (sum of executed), same", ratios["step_time"]),
            _ratio_row("whole run, no recording at all (A)", ratios["all"]),
        ],
    )
    note("the time spent inside the audit hook, measured in 3 more runs (untimed)")
    measured = [command("measure")() for _ in range(3)]
    hook = _hook_rows(measured)
    print_table(
        "time inside the audit hook while a recording is active (median of 3 runs)",
        ["", "open events", "ms", "% of steps' time", "% of the run"],
        hook,
    )
    report.data["reads"] = {
        "seconds": seconds,
        "step_seconds": step_seconds,
        "ratios": ratios,
        "swapped": swapped,
        "hook": measured,
    }
    report.check(
        "quickstart --no-cache, Python-step read recording on / off",
        _ratio_text(ratios["steps"]),
        f"<= {READS_BUDGET}x",
        ratios["steps"]["median"] <= READS_BUDGET,
    )


def _hook_rows(measured: Sequence[Mapping[str, Any]]) -> list[list[object]]:
    rows: list[list[object]] = []
    for key, label in (("hook_steps", "the steps' recordings"), ("hook_import", "the import's")):
        events = statistics.median(run[key][0] for run in measured)
        seconds = statistics.median(run[key][1] for run in measured)
        steps = statistics.median(run[key][1] / run["steps_s"] for run in measured)
        whole = statistics.median(run[key][1] / run["wall_s"] for run in measured)
        share = steps * 100 if key == "hook_steps" else ""
        rows.append([label, events, seconds * 1000, share, whole * 100])
    return rows


# --- 4. the all-cached Docker run ----------------------------------------------------


class _NoDockerError(RuntimeError):
    pass


def _docker(ctx: Context, report: Report, old: Path, rounds: int) -> None:
    try:
        client = _engine()
    except _NoDockerError as exc:
        _docker_skipped(report, str(exc))
        return
    held: str | None = None
    try:
        try:
            new_image, held = _runtime_image(ctx, client)
            old_image = _old_image(ctx, client, old)
        except _NoDockerError as exc:
            _docker_skipped(report, str(exc))
            return
        _docker_rounds(ctx, report, {"new": new_image, "old": old_image}, old, rounds)
    finally:
        if held is not None:
            _release(client, held)
        client.close()


def _docker_skipped(report: Report, reason: str) -> None:
    note(f"all-cached Docker run skipped: {reason}")
    print_table("all-cached Docker run", ["", "reason"], [["skipped", reason]])
    report.data["docker"] = {"skipped": reason}


def _engine() -> DockerClient:
    from repro.errors import ReproError
    from repro.images.engine import docker_client

    if shutil.which("docker") is None:
        raise _NoDockerError("no docker command on PATH")
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise _NoDockerError("`docker info` did not answer in 30 s") from None
    if info.returncode != 0:
        lines = (info.stderr.strip() or "no reason given").splitlines()
        raise _NoDockerError(f"`docker info` failed: {lines[-1]}")
    try:
        return docker_client()
    except ReproError as exc:  # no engine, or no docker SDK
        raise _NoDockerError(str(exc)) from exc


def _runtime_image(ctx: Context, client: DockerClient) -> tuple[str, str | None]:
    """The pinned image for today's repro, and the tag this benchmark put
    on it (to release afterwards): the newest ``repro-test-runtime`` the
    tests built, held by a tag of ours while it is used; else one built
    from the base."""
    from repro.images.build import build_image
    from repro.images.resolve import pin_image

    found = client.images.list(name=TEST_RUNTIME)
    if found:
        newest = max(found, key=lambda image: str(image.attrs.get("Created", "")))
        held = f"{REPOSITORY}:{RUNTIME_TAG}"
        newest.tag(REPOSITORY, RUNTIME_TAG)
        note(f"reusing {newest.tags[0] if newest.tags else newest.id} as {held}")
        return pin_image(held, client), held
    if not client.images.list(name=BASE_IMAGE):
        raise _NoDockerError(f"no {TEST_RUNTIME} image and no base image {BASE_IMAGE}")
    root = new_git_repo(ctx.work / "soundness-image-new")
    (root / "pyproject.toml").write_text(
        f'[tool.repro.docker]\nbase = "{BASE_IMAGE}"\nrepository = "{REPOSITORY}"\n'
    )
    note(f"no {TEST_RUNTIME} image: building {REPOSITORY}:current (minutes the first time)")
    return build_image(str(root), push=False, client=client, tag="current").pinned, None


def _old_image(ctx: Context, client: DockerClient, old: Path) -> str:
    """An image holding the repro of ``OLD_COMMIT``, built by that repro
    (its step protocol is its own)."""
    if not client.images.list(name=BASE_IMAGE):
        raise _NoDockerError(f"the engine has no base image {BASE_IMAGE}")
    root = new_git_repo(ctx.work / "soundness-image-old")
    (root / "pyproject.toml").write_text(
        f'[tool.repro.docker]\nbase = "{BASE_IMAGE}"\nrepository = "{REPOSITORY}"\n'
    )
    note(f"building {REPOSITORY}:{OLD_COMMIT} with the repro of {OLD_COMMIT}")
    argv = [sys.executable, "-c", OLD_IMAGE_BUILD, str(root), OLD_COMMIT]
    done = _call(argv, root, _environment(old))
    return done.stdout.strip().splitlines()[-1]


def _release(client: DockerClient, tag: str) -> None:
    """Take our tag off the tests' image, unless it is the image's last
    (removing it would delete an image a test may still use by id)."""
    from docker.errors import APIError

    with contextlib.suppress(APIError):
        image = client.images.get(tag)
        if len(image.tags) > 1:
            client.images.remove(tag, noprune=True)


def _docker_rounds(
    ctx: Context, report: Report, images: Mapping[str, str], old: Path, rounds: int
) -> None:
    envs = {"new": _environment(REPO_ROOT), "old": _environment(old)}
    projects = {}
    for name, image in images.items():
        project = new_git_repo(ctx.work / f"soundness-docker-{name}")
        (project / "pipeline.py").write_text(DOCKER_PIPELINE.format(image=image))
        (project / ".gitignore").write_text("out.txt\n")
        _call(_repro("init"), project, envs[name])
        git_commit_all(project, "pipeline")
        note(f"docker, {name} repro: first run in {image[:60]}...")
        _call(_repro("run", "pipeline.py:p", "--backend", "docker"), project, envs[name])
        git_commit_all(project, "run")
        projects[name] = project

    def no_op(name: str, *flags: str) -> Callable[[], object]:
        argv = _repro("run", "pipeline.py:p", *flags)

        def call() -> None:
            done = _call(argv, projects[name], envs[name])
            assert name == "old" or "up to date" in done.stdout, done.stdout

        return call

    old_label = f"repro {OLD_COMMIT} (before)"
    actions = {
        old_label: no_op("old", "--backend", "docker"),
        "repro now": no_op("new", "--backend", "docker"),
        # The lock's backend: a bare run, answered before the full CLI loads.
        "repro now, no --backend": no_op("new"),
    }
    for action in actions.values():
        action()
    before = {name: _records(project) for name, project in projects.items()}
    note(f"all-cached docker run: {rounds} interleaved rounds")
    seconds = interleaved(rounds, actions)
    written = {
        name: (_records(project) - before[name]) / (rounds * (1 if name == "old" else 2))
        for name, project in projects.items()
    }
    ratio = _ratio(seconds, old_label, "repro now")
    bare = _ratio(seconds, old_label, "repro now, no --backend")
    now = statistics.median(seconds["repro now"])
    print_table(
        f"all-cached `repro run pipeline.py:p --backend docker`, median of {rounds}",
        ["", "seconds", "run records written per run"],
        [
            [old_label, ratio["base_s"], written["old"]],
            ["repro now", now, written["new"]],
            ["repro now, no --backend (the lock's: docker)", bare["other_s"], written["new"]],
        ],
    )
    print_table(
        "all-cached docker run: now (B) vs before (A)",
        RATIO_HEADERS,
        [
            _ratio_row(f"repro now vs {OLD_COMMIT}", ratio),
            _ratio_row(f"repro now, no --backend, vs {OLD_COMMIT}", bare),
        ],
    )
    report.data["docker"] = {
        "images": dict(images),
        "seconds": seconds,
        "ratio": ratio,
        "ratio_no_flag": bare,
        "records_per_run": written,
    }
    report.check(
        "all-cached repro run --backend docker",
        f"{now:.3f} s ({ratio['median']:.2f}x {OLD_COMMIT})",
        f"< {DOCKER_NO_OP_BUDGET_S} s",
        now < DOCKER_NO_OP_BUDGET_S,
    )


def _records(project: Path) -> int:
    return sum(1 for _ in (project / ".repro" / "runs").glob("*.json"))
