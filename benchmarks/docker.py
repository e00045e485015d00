"""Per-step overhead of the Docker backend against ``docker run`` itself.

The runtime image is built once with the library (``repro image build``'s
code, from the base image ``repro-base:bookworm``; the engine's layer cache
makes later builds quick, and the image is left for the next run). A Git
project holds a 10-step chain of trivial Python steps (each adds one to its
input), pinned to that image. In interleaved rounds (5; 2 with --quick):

- ``repro run --backend docker --no-cache -j 1`` and ``repro run --no-cache
  -j 1`` (local), each as a command. Per-step overhead of the Docker backend
  = (docker - local) / 10: from a container's start to its result recorded,
  with the run's fixed costs (engine ping, image check) spread over the steps.
- ``docker run --rm --network none IMAGE true``, ten times: what the engine
  and its CLI cost a container. Beside it, ``... IMAGE repro --version``
  (Python and repro's import in the container). Goal: none set by the issue;
  the ratio overhead / ``docker run true`` is reported.

Where the time goes is read from the engine's events for each container
(created, started, died, destroyed) and the run records (when each step's
code started in its container, and for how long it ran). Every figure is
from the same run (the machine is noisy); bytecode caches are on for the
host's repro commands, as on a user's machine. The containers and the
projects are removed afterwards.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.common import (
    CommandError,
    Context,
    Report,
    interleaved,
    note,
    print_table,
    run_command,
)
from benchmarks.pipelines import chain_source
from benchmarks.projects import git_commit_all, new_git_repo

if TYPE_CHECKING:
    from docker import DockerClient

    from repro.images.build import BuildResult

__all__ = ["DockerMissingError", "run"]

STEPS = 10
CONTAINERS_PER_ROUND = 10
BASE_IMAGE = "repro-base:bookworm"
REPOSITORY = "repro-bench-runtime"
TAG = "bench"
# The baseline containers carry it, so that cleanup finds them after a crash.
BENCH_LABEL = "repro.bench=docker"
DOCKER_RUN = ("docker", "run", "--rm", "--network", "none", "--label", BENCH_LABEL)
EVENTS_FILE = "docker-events.jsonl"
START_HINT = "as root, `bash scripts/services.sh docker` starts the engine and makes the base image"

# Each step's phases, in order: (key, label).
PHASES = (
    ("between", "runner: previous container removed -> next created"),
    ("start", "engine: container created -> started"),
    ("boot", "container: started -> step code (Python, repro, step-exec)"),
    ("code", "step code (import chain.py, load input, call, store output)"),
    ("exit", "container: step code done -> exited"),
    ("remove", "runner: exited -> removed (wait, logs, remove)"),
)


class DockerMissingError(RuntimeError):
    pass


@dataclass
class Figures:
    """What the rounds measured: whole commands, single containers, and
    the run ids and wall-clock windows of the Docker runs."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    containers: dict[str, list[float]] = field(
        default_factory=lambda: {"true": [], "repro --version": []}
    )
    runs: dict[str, list[str]] = field(default_factory=lambda: {"docker": [], "local": []})
    windows: dict[str, tuple[float, float]] = field(default_factory=dict)


def run(ctx: Context) -> Report:
    report = Report("docker")
    try:
        client = _engine()
    except DockerMissingError as exc:
        report.skipped = str(exc)
        return report
    rounds = 5 if not ctx.quick else 2
    project = ctx.work / "docker-chain"
    try:
        built = _build(ctx, client)
        _chain_project(ctx, project, built.pinned)
        with _event_log(ctx.work / EVENTS_FILE) as log:
            figures = _measure(ctx, project, built.image_id, rounds)
        phases = _phases(ctx, project, figures, log)
    finally:
        _clean_up(client, project, ctx.work / EVENTS_FILE)
        client.close()
    _report(report, figures, phases, rounds)
    return report


def _engine() -> DockerClient:
    from repro.errors import ReproError
    from repro.images.engine import docker_client

    if shutil.which("docker") is None:
        raise DockerMissingError(f"no docker command on PATH; {START_HINT}")
    try:
        client = docker_client()
    except ReproError as exc:  # no engine, or no docker SDK
        raise DockerMissingError(str(exc)) from exc
    if not client.images.list(name=BASE_IMAGE):
        client.close()
        raise DockerMissingError(f"the engine has no image {BASE_IMAGE}; {START_HINT}")
    return client


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("REPRO_DEBUG", None)
    return env


def _build(ctx: Context, client: DockerClient) -> BuildResult:
    """The runtime image, built from a scratch folder that names only the
    base and the repository (so the wheelhouse is the venv's own closure)."""
    from repro.images.build import build_image

    root = ctx.work / "docker-image"
    new_git_repo(root)
    (root / "pyproject.toml").write_text(
        f'[tool.repro.docker]\nbase = "{BASE_IMAGE}"\nrepository = "{REPOSITORY}"\n'
    )
    note(f"building the runtime image {REPOSITORY}:{TAG} from {BASE_IMAGE}")
    try:
        return build_image(str(root), push=False, client=client, tag=TAG)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _chain_project(ctx: Context, project: Path, pinned: str) -> None:
    new_git_repo(project)
    (project / "chain.py").write_text(chain_source(STEPS))
    (project / "pyproject.toml").write_text(f'[tool.repro]\nimage = "{pinned}"\n')
    run_command([ctx.repro, "init"], cwd=project)
    git_commit_all(project, "chain")


def _measure(ctx: Context, project: Path, image_id: str, rounds: int) -> Figures:
    env = _environment()
    figures = Figures()
    repro = [ctx.repro, "run", "chain.py:chain", "--no-cache", "-j", "1", "--json"]

    def command(backend: str) -> Callable[[], object]:
        argv = [*repro, "--backend", backend]

        def call() -> None:
            started = time.time()
            doc = _repro_run(argv, project, env)
            figures.runs[backend].append(doc["run"])
            figures.windows[doc["run"]] = (started, time.time())

        return call

    def containers(name: str, argv: Sequence[str]) -> Callable[[], object]:
        def call() -> None:
            for _ in range(CONTAINERS_PER_ROUND):
                started = time.perf_counter()
                run_command(argv, env=env)
                figures.containers[name].append(time.perf_counter() - started)

        return call

    actions = {
        "repro run --backend docker": command("docker"),
        "repro run (local)": command("local"),
        "docker run true": containers("true", [*DOCKER_RUN, image_id, "true"]),
        "docker run repro --version": containers(
            "repro --version", [*DOCKER_RUN, image_id, "repro", "--version"]
        ),
    }
    note("warm-up: bytecode caches, one run of each")
    run_command([ctx.repro, "--version"], env=env)
    for action in actions.values():
        action()
    figures = Figures()  # the closures above read it afresh: the warm-up is dropped
    note(f"{STEPS}-step chain: {rounds} interleaved rounds")
    figures.seconds = interleaved(rounds, actions)
    return figures


def _repro_run(argv: list[str], project: Path, env: dict[str, str]) -> dict[str, Any]:
    """The JSON report of a run that must succeed; a failed one raises with
    its first failed step's error (which ``--json`` prints on stdout)."""
    done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
    try:
        doc: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        raise CommandError(argv, done.returncode, done.stderr) from None
    if done.returncode != 0 or doc.get("status") != "succeeded":
        failed = [f"{s['name']}: {s['error']}" for s in doc.get("steps", []) if s.get("error")]
        raise CommandError(argv, done.returncode, "\n".join([done.stderr, *failed[:1]]))
    return doc


def _phases(ctx: Context, project: Path, figures: Figures, log: Path) -> dict[str, list[float]]:
    """Each Docker step's phases (seconds), from the engine's events and
    the run records; also each run's fixed costs before the first
    container and after the last, and the step durations of both backends."""
    events = _container_events(log)
    found: dict[str, list[float]] = {key: [] for key, _ in PHASES}
    found.update(cycle=[], lead=[], tail=[], docker_code=[], local_code=[])
    for backend in ("docker", "local"):
        for run_id in figures.runs[backend]:
            steps = _record_steps(ctx, project, run_id)
            found[f"{backend}_code"] += [step["duration"] for step in steps]
            if backend == "docker":
                _add_phases(found, steps, events[run_id], figures.windows[run_id])
    return found


@contextmanager
def _event_log(path: Path) -> Iterator[Path]:
    """The engine's container events, written to ``path`` as they happen
    by ``docker events`` (the engine keeps only its last 256 events, too
    few to ask for them afterwards while tests run beside)."""
    argv = ["docker", "events", "--since", str(int(time.time()))]
    argv += ["--filter", "type=container", "--filter", "label=repro.run", "--format", "{{json .}}"]
    with path.open("wb") as out:
        events = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL)
        try:
            yield path
        finally:
            events.terminate()
            events.wait()


def _container_events(log: Path) -> dict[str, dict[str, dict[str, float]]]:
    """run id -> step -> action (create, start, die, destroy) -> wall time."""
    found: dict[str, dict[str, dict[str, float]]] = {}
    for line in log.read_text().splitlines():
        event = json.loads(line)
        labels = event["Actor"]["Attributes"]
        step = found.setdefault(labels["repro.run"], {}).setdefault(labels["repro.step"], {})
        step[event["Action"]] = event["timeNano"] / 1e9
    return found


def _record_steps(ctx: Context, project: Path, run_id: str) -> list[dict[str, Any]]:
    record = json.loads(run_command([ctx.repro, "runs", "show", run_id, "--json"], cwd=project))
    steps = [{"name": name, **step} for name, step in record["steps"].items()]
    return sorted(steps, key=lambda step: step["position"])


def _add_phases(
    found: dict[str, list[float]],
    steps: list[dict[str, Any]],
    events: dict[str, dict[str, float]],
    window: tuple[float, float],
) -> None:
    previous: dict[str, float] | None = None
    for step in steps:
        seen = events[step["name"]]
        code_start = datetime.datetime.fromisoformat(step["started"]).timestamp()
        found["start"].append(seen["start"] - seen["create"])
        found["boot"].append(code_start - seen["start"])
        found["code"].append(step["duration"])
        found["exit"].append(seen["die"] - code_start - step["duration"])
        found["remove"].append(seen["destroy"] - seen["die"])
        if previous is not None:
            found["between"].append(seen["create"] - previous["destroy"])
            found["cycle"].append(seen["create"] - previous["create"])
        previous = seen
    found["lead"].append(events[steps[0]["name"]]["create"] - window[0])
    found["tail"].append(window[1] - events[steps[-1]["name"]]["destroy"])


def _clean_up(client: DockerClient, project: Path, log: Path) -> None:
    """Whatever containers of the benchmark are left (after a crash): the
    baselines' by label, the backend's by their working folder, the project."""
    from docker.errors import NotFound

    left = client.containers.list(all=True, filters={"label": BENCH_LABEL}, ignore_removed=True)
    ours = client.containers.list(all=True, filters={"label": "repro.run"}, ignore_removed=True)
    left += [c for c in ours if c.attrs["Config"].get("WorkingDir") == str(project)]
    for container in left:
        with contextlib.suppress(NotFound):
            container.remove(force=True)
    shutil.rmtree(project, ignore_errors=True)
    log.unlink(missing_ok=True)


def _report(report: Report, figures: Figures, phases: dict[str, list[float]], rounds: int) -> None:
    median = {name: statistics.median(values) for name, values in figures.seconds.items()}
    docker, local = median["repro run --backend docker"], median["repro run (local)"]
    true = statistics.median(figures.containers["true"])
    version = statistics.median(figures.containers["repro --version"])
    overhead = (docker - local) / STEPS
    ratio = overhead / true
    _print_totals(docker, local, true, version, rounds)
    _print_phases(phases, true, len(figures.runs["docker"]))
    report.data["docker"] = {
        "steps": STEPS,
        "rounds": rounds,
        "seconds": figures.seconds,
        "containers": figures.containers,
        "phases": phases,
        "overhead_per_step": overhead,
        "docker_run_true": true,
        "docker_run_repro_version": version,
        "ratio": ratio,
    }
    report.check(
        "docker backend per-step overhead / docker run true",
        f"{ratio:.2f}x ({overhead:.2f} s / {true:.2f} s)",
        "report",
        True,
    )


def _print_totals(docker: float, local: float, true: float, version: float, rounds: int) -> None:
    overhead = (docker - local) / STEPS
    container = f"docker run --rm --network none IMAGE {{}} ({CONTAINERS_PER_ROUND}/round)"
    print_table(
        f"{STEPS}-step chain of trivial steps, -j 1, cache off; median of {rounds} rounds",
        ["", "seconds", "per step or container", "x docker run true"],
        [
            ["repro run --backend docker", docker, docker / STEPS, docker / STEPS / true],
            ["repro run (local backend)", local, local / STEPS, local / STEPS / true],
            [
                "Docker backend overhead per step: (docker - local) / 10",
                "",
                overhead,
                overhead / true,
            ],
            [container.format("true"), "", true, 1.0],
            [container.format("repro --version"), "", version, version / true],
        ],
    )


def _print_phases(phases: dict[str, list[float]], true: float, runs: int) -> None:
    ms = {key: statistics.median(values) * 1000 for key, values in phases.items() if values}
    cycle = ms["cycle"]
    rows: list[list[object]] = [[label, ms[key], ms[key] / cycle] for key, label in PHASES]
    rows += [
        ["one step: container created -> next created", cycle, 1.0],
        ["  the same, x docker run true", "", cycle / 1000 / true],
        ["per run: command start -> first container created", ms["lead"], ""],
        ["per run: last container removed -> command exit", ms["tail"], ""],
        ["step code, mean: Docker", statistics.mean(phases["docker_code"]) * 1000, ""],
        ["step code, mean: local", statistics.mean(phases["local_code"]) * 1000, ""],
    ]
    print_table(
        f"where a Docker step's time goes: medians over the steps of {runs} runs",
        ["", "ms", "share of a step"],
        rows,
    )
