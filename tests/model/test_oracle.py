"""Model-based test of DESIGN.md's oracle: "after any sequence of edits, runs
and replays, a cached run's outputs equal a `--no-cache` run's in a fresh
clone".

A real project in a real Git repository (see oracle_project) goes through
random sequences of: edits of step code, helper modules, data, import-time
params and an undeclared config file; hand edits of declared outs; commits;
`repro run` with and without a parameter override; `repro replay RUN
--verify` of an earlier run; `git checkout` of an earlier commit (then back
to main, or on to a new branch); `repro gc --grace 0`.

After every `repro run` (and once more at the end of each sequence): it
succeeded; each step's outputs (object ids from the run record) and the
shell steps' out files equal the oracle's (`repro run --no-cache` of the same
work-tree files in a fresh clone with a cache of its own); `repro status`
says fresh; the run changed no source file. A replay of a run whose record
is kept is identical and touches nothing in the work tree; one of a run gc
forgot fails in one line.

REPRO_MODEL_EXAMPLES=N runs N sequences per test class instead of the CI
default (two classes, one per xdist worker).
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    precondition,
    rule,
)
from oracle_project import (
    CODE_VARIANTS,
    GAP_VARIANTS,
    HELPER_VARIANTS,
    INPUT_VARIANTS,
    OUT_EDITS,
    Outcome,
    all_files,
    describe,
    oracle,
    out_files,
    read_record,
    replace_marked_line,
    source_files,
    step_outputs,
    template,
)
from pipeline_testing import cli
from repro_testing import git

from repro.backends.tracing import tracer

if tracer() is None:
    pytest.skip(
        "no working strace: as root: bash scripts/services.sh strace", allow_module_level=True
    )

pytestmark = pytest.mark.slow

# REPRO_MODEL_GAPS=1: also the ways of reading files that repro is known to miss.
STEP_CODE = CODE_VARIANTS + (GAP_VARIANTS if os.environ.get("REPRO_MODEL_GAPS") else [])

F = TypeVar("F", bound=Callable[..., Any])


def tracked(function: F) -> F:
    """Mark the machine broken while a rule runs, so that teardown's final
    check runs only after sequences that did not fail already."""

    @functools.wraps(function)
    def wrapper(self: ProjectModel, *args: Any, **kwargs: Any) -> Any:
        self.healthy = False
        self.checked = False
        result = function(self, *args, **kwargs)
        self.healthy = True
        return result

    return wrapper  # type: ignore[return-value]


class ProjectModel(RuleBasedStateMachine):
    commits = Bundle("commits")
    runs = Bundle("runs")

    def __init__(self) -> None:
        super().__init__()
        self.base = Path(tempfile.mkdtemp(prefix="repro-model-"))
        self.root = self.base / "project"
        self.transcript: list[str] = []
        self.detached = False
        self.branches = 0
        self.healthy = True
        self.checked = False  # nothing happened since the last checked run

    # -- helpers ---------------------------------------------------------

    def log(self, command: str) -> None:
        self.transcript.append(command)

    def fail(self, message: str) -> AssertionError:
        steps = "\n".join(f"  {line}" for line in self.transcript)
        return AssertionError(f"{message}\n\nafter:\n{steps}")

    def write(self, name: str, text: str | None) -> None:
        path = self.root / name
        if text is None:
            path.unlink(missing_ok=True)
            self.log(f"rm -f {name}")
        else:
            path.write_text(text)
            self.log(f"printf %s {shlex.quote(text)} > {name}")

    def run_and_check(self, args: tuple[str, ...]) -> str:
        before = source_files(self.root)
        done = cli(self.root, "run", "--json", *args)
        self.log(shlex.join(["repro", "run", *args]))
        if done.code != 0:
            raise self.fail("repro run failed:\n" + describe(done))
        doc = done.json()
        steps = {step["name"]: step for step in doc["steps"]}
        if {step["status"] for step in steps.values()} - {"executed", "cached"}:
            raise self.fail("a step neither executed nor cached:\n" + describe(done))
        if source_files(self.root) != before:
            raise self.fail("repro run changed a source file")
        got = Outcome(step_outputs(read_record(self.root, doc["run"])), out_files(self.root))
        expected = oracle(self.root, before, args)
        if got != expected:
            lines = []
            for name, step in steps.items():
                mark = "" if got.outputs.get(name) == expected.outputs.get(name) else "  <- DIFFERS"
                lines.append(f"  {step['status']:8} {name} {step['reasons']}{mark}")
            for name in sorted(got.files):
                if got.files[name] != expected.files[name]:
                    lines.append(
                        f"  {name}: {got.files[name]!r} != oracle {expected.files[name]!r}"
                    )
            raise self.fail(
                f"run {doc['run']} differs from the oracle (--no-cache in a fresh clone):\n"
                + "\n".join(lines)
            )
        status = cli(self.root, "status", *args)
        if status.code != 0 or not status.out.startswith("flow: fresh\n") or "stale" in status.out:
            raise self.fail("repro status is not fresh right after a run:\n" + describe(status))
        self.checked = True
        run_id: str = doc["run"]
        return run_id

    # -- rules -----------------------------------------------------------

    def apply(self, edit: tuple[str, ...]) -> None:
        if len(edit) == 3:  # (file, marker, the marked line's new text)
            name, marker, line = edit
            path = self.root / name
            path.write_text(replace_marked_line(path.read_text(), marker, line))
            self.log(f"# {name}: the line marked {marker} becomes {line.strip()!r}")
        else:  # (file, its new text or None)
            self.write(*edit)

    @initialize(
        target=commits,
        ran=st.booleans(),
        setup=st.lists(st.sampled_from(STEP_CODE + HELPER_VARIANTS + INPUT_VARIANTS), max_size=4),
    )
    def start(self, ran: bool, setup: list[tuple[str, ...]]) -> Any:
        """A copy of the project, fresh or run once (lock committed), then
        a few edits committed: sequences start from varied states."""
        shutil.copytree(template(ran), self.root, symlinks=True)
        self.log("# the project" + (", run once, lock committed" if ran else ""))
        for edit in setup:
            self.apply(edit)
        if git(self.root, "status", "--porcelain").strip():
            git(self.root, "add", "-A")
            git(self.root, "commit", "-q", "-m", "setup")
            self.log("git add -A && git commit -qm setup")
        shas = git(self.root, "rev-list", "HEAD").split()
        return multiple(*reversed(shas))

    # Edits are cheap (no repro call): up to a few at a time.

    @rule(edits=st.lists(st.sampled_from(STEP_CODE), min_size=1, max_size=2))
    @tracked
    def edit_step_code(self, edits: list[tuple[str, str, str]]) -> None:
        for edit in edits:
            self.apply(edit)

    @rule(edits=st.lists(st.sampled_from(HELPER_VARIANTS), min_size=1, max_size=2))
    @tracked
    def edit_helper(self, edits: list[tuple[str, str]]) -> None:
        for edit in edits:
            self.apply(edit)

    @rule(edits=st.lists(st.sampled_from(INPUT_VARIANTS), min_size=1, max_size=3))
    @tracked
    def edit_input(self, edits: list[tuple[str, str | None]]) -> None:
        for edit in edits:
            self.apply(edit)

    @rule(edit=st.sampled_from(OUT_EDITS))
    @tracked
    def edit_out(self, edit: tuple[str, str | None]) -> None:
        self.apply(edit)

    @rule(target=commits)
    @tracked
    def commit(self) -> Any:
        if not git(self.root, "status", "--porcelain").strip():
            return multiple()
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", f"edit {len(self.transcript)}")
        self.log("git add -A && git commit -qm edit")
        return git(self.root, "rev-parse", "HEAD").strip()

    @rule(target=runs)
    @tracked
    def run(self) -> str:
        return self.run_and_check(())

    @rule(target=runs, scale=st.sampled_from([1, 3, 7]))
    @tracked
    def run_with_override(self, scale: int) -> str:
        return self.run_and_check(("-p", f"scale={scale}"))

    @rule(run=runs)
    @tracked
    def replay(self, run: str) -> None:
        kept = (self.root / ".repro" / "runs" / f"{run}.json").exists()
        before = all_files(self.root)
        done = cli(self.root, "replay", run, "--verify")
        self.log(f"repro replay {run} --verify  # record kept: {kept}")
        if all_files(self.root) != before:
            raise self.fail("repro replay changed the work tree:\n" + describe(done))
        if kept and done.code != 0:
            raise self.fail(f"replay of {run} is not identical:\n" + describe(done))
        if not kept and (done.code not in (0, 1) or "Traceback" in done.err):
            raise self.fail(f"replay of {run}, which gc forgot:\n" + describe(done))

    @rule(commit=commits)
    @tracked
    def checkout(self, commit: str) -> None:
        git(self.root, "checkout", "-q", "-f", "--detach", commit)
        self.log(f"git checkout -q -f --detach {commit[:10]}")
        self.detached = True

    @precondition(lambda self: self.detached)
    @rule(new_branch=st.booleans())
    @tracked
    def leave_detached(self, new_branch: bool) -> None:
        if new_branch:
            self.branches += 1
            git(self.root, "checkout", "-q", "-b", f"b{self.branches}")
            self.log(f"git checkout -q -b b{self.branches}")
        else:
            git(self.root, "checkout", "-q", "-f", "main")
            self.log("git checkout -q -f main")
        self.detached = False

    @rule()
    @tracked
    def gc(self) -> None:
        done = cli(self.root, "gc", "--grace", "0")
        self.log("repro gc --grace 0")
        if done.code != 0:
            raise self.fail("repro gc failed:\n" + describe(done))

    def teardown(self) -> None:
        try:
            if self.healthy and not self.checked and self.root.exists():
                # Every sequence ends with a checked run (unless it just had one).
                self.run_and_check(())
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def model_settings(examples: int, steps: int) -> settings:
    scaled = os.environ.get("REPRO_MODEL_EXAMPLES")
    return settings(
        max_examples=int(scaled) if scaled else examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
        print_blob=True,
    )


class ShortSequences(ProjectModel):
    pass


class LongerSequences(ProjectModel):
    pass


# Two test classes so that `pytest -n 2` runs one on each worker.
TestShortSequences = ShortSequences.TestCase
TestShortSequences.settings = model_settings(examples=130, steps=5)

TestLongerSequences = LongerSequences.TestCase
TestLongerSequences.settings = model_settings(examples=70, steps=10)
