"""A table of changes that try to break repro's promise that "cached",
"fresh" and "up to date" are true (DESIGN.md, "Soundness: what a cache key
must see"; README, "Cache keys that cannot go stale", "Files read at
import time are inputs too", "Files a step reads while it runs are inputs
too").

Each row is one change to one kind of project (Python steps or shell
steps: soundness_testing), checked on the fast path (only literal
defaults: a committed lock lets `repro run` decide without importing the
pipeline) and on the slow path (a computed default turns the fast path
off). In a copy of the project whose lock is committed and judged fresh,
after the change:

- `repro status FILE:p` says stale, naming the cause on the changed
  step's line (a negative row: "p: fresh");
- `repro run FILE:p --frozen` exits 1 (a negative row: 0);
- `repro run --json FILE:p` executes exactly the changed steps and what
  follows them; every other step is "cached";
- then, on the fast path, the lock holds again ("up to date"), and a
  `--no-cache` run gives the same outputs (ids in the records, and the
  bytes of the shell steps' outs in the work tree).

Beyond the kinds of change the README names, a few rows probe what the
discovery of inputs may miss: a file rewritten in place with its size and
mtime kept (the stat cache), and files a Python step reads on a worker
thread (the audit hooks). Not a row: a file a Python step reads through a
program it starts (`subprocess.run(["cat", ...])`): audit hooks do not
see into another process; the run names the program instead ("started
cat: files a program reads are not seen"), tested in
tests/runner/test_discovered_inputs.py.

Not a row: a change of the container image's digest. It needs the Docker
backend, an image with repro in it and a registry to pin digests from, and
a container per step: minutes per case, not seconds (the image tests in
tests/images and tests/backends cover pinning; keys.py puts the image in
the environment of a step that runs in one).

Every check of a case is made and the failures reported together, with
what repro said, so that one failing case says all that is wrong with it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from pipeline_testing import Result, edit, executed, statuses
from soundness_testing import STEPS, TARGET, Case, build_project, install_soundpkg, work_tree_files

PATHS = ("fast", "slow")


@dataclass(frozen=True)
class Row:
    change: str
    kind: str  # "python" or "shell"
    edit: Callable[[Case], None]
    # The steps `repro run` executes; empty: a negative row (all cached, fresh).
    executed: frozenset[str] = frozenset()
    # What `status` and `--frozen` say on the line of each step in `changed`.
    reason: str = ""
    changed: tuple[str, ...] = ()
    # The steps `status` calls stale, when not `executed`: a step whose
    # upstream is stale is stale, even if its input comes out the same.
    stale: frozenset[str] | None = None
    # Given to status, --frozen and both runs.
    args: tuple[str, ...] = ()
    paths: tuple[str, ...] = PATHS

    @property
    def negative(self) -> bool:
        return not self.executed


def steps(*names: str) -> frozenset[str]:
    return frozenset(names)


def replace(path: str, old: str, new: str) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        edit(case.root / path, old, new)

    return change


def write(path: str, text: str) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        (case.root / path).write_text(text)

    return change


def append(path: str, text: str) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        with open(case.root / path, "a", encoding="utf-8") as file:
            file.write(text)

    return change


def together(*changes: Callable[[Case], None]) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        for each in changes:
            each(case)

    return change


def nothing(case: Case) -> None:
    """A change made on the command line only (`-p`)."""


def change_default(case: Case) -> None:
    if case.path == "fast":
        edit(case.root / "pipeline.py", "n: int = 3", "n: int = 4")
    else:
        edit(case.root / "pipeline.py", 'n: int = len("abc")', 'n: int = len("abcd")')


def upgrade_soundpkg(case: Case) -> None:
    """soundpkg 1.0 -> 1.1 in the environment; requirements.txt untouched."""
    install_soundpkg(case.site, "1.1")


def rewrite_in_place(path: str, old: str, new: str) -> Callable[[Case], None]:
    """New bytes of the same size written into the same file (same inode),
    its mtime then put back, as `cp -p` onto it or a tool that keeps
    timestamps leaves it: only its ctime (which no one can set) tells."""

    def change(case: Case) -> None:
        target = case.root / path
        before = target.stat()
        text = target.read_text()
        assert len(new) == len(old) and old in text
        with open(target, "r+", encoding="utf-8") as file:
            file.write(text.replace(old, new))
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = target.stat()
        assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
            before.st_ino,
            before.st_size,
            before.st_mtime_ns,
        )

    return change


def touch_everything(case: Case) -> None:
    """A new mtime for every work-tree file (outs included), no new byte."""
    for path in work_tree_files(case.root):
        os.utime(path)


def edit_unread_files(case: Case) -> None:
    append("README.md", "More prose no step reads.\n")(case)
    (case.root / "scratch.txt").write_text("a new file no step reads\n")


def delete_out(case: Case) -> None:
    (case.root / "clean.txt").unlink()


PY_ALL = frozenset(STEPS["python"])
SH_ALL = frozenset(STEPS["shell"])
UNDECLARED = "(read by the step, not declared)"

ROWS = [
    # -- Python steps --------------------------------------------------------
    Row(
        "step code",
        "python",
        replace(
            "pipeline.py", "[scale(v, n) for v in values]", "[scale(v, n) + 1 for v in values]"
        ),
        steps("scaled", "total"),
        "code changed (pipeline.py)",
        ("scaled",),
    ),
    Row(
        "helper module the step imports",
        "python",
        replace("helpers.py", "value * factor", "value * factor + 1"),
        steps("scaled", "total"),
        "code changed (helpers.py)",
        ("scaled",),
    ),
    Row(
        "import-time file (params.yaml)",
        "python",
        write("params.yaml", "w: 2\n"),
        steps("weighted", "combine"),
        "import-time input params.yaml changed",
        ("weighted",),
    ),
    Row(
        "file the step reads undeclared (cfg.json)",
        "python",
        write("cfg.json", '{"k": 2}\n'),
        steps("configured", "combine"),
        f"input cfg.json changed {UNDECLARED}",
        ("configured",),
    ),
    Row(
        "declared dataset (same size)",
        "python",
        write("data/rows.csv", "value\n1\n2\n4\n"),
        steps("load", "scaled", "total", "describe"),
        "input 'path' changed (data data/rows.csv)",
        ("load",),
    ),
    # Probe: the stat cache keys on (inode, size, mtime), not ctime.
    Row(
        "declared dataset, rewritten in place keeping size and mtime",
        "python",
        rewrite_in_place("data/rows.csv", "3\n", "4\n"),
        steps("load", "scaled", "total", "describe"),
        "input 'path' changed (data data/rows.csv)",
        ("load",),
    ),
    Row(
        "CLI param (-p n=4)",
        "python",
        nothing,
        steps("scaled", "total"),
        "param n: 3 -> 4",
        ("scaled",),
        args=("-p", "n=4"),
    ),
    Row(
        "default param",
        "python",
        change_default,
        steps("scaled", "total"),
        "param n: 3 -> 4",
        ("scaled",),
    ),
    Row(
        "package upgraded (soundpkg 1.0 -> 1.1)",
        "python",
        upgrade_soundpkg,
        steps("versioned", "combine"),
        "environment changed (soundpkg 1.0 -> 1.1)",
        ("versioned",),
    ),
    Row(
        "lock file (requirements.txt)",
        "python",
        write("requirements.txt", "soundpkg==1.1\n"),
        PY_ALL,
        "environment changed (lockfile_oid ",
        ("load", "configured", "weighted", "noted", "versioned", "threaded", "shelled"),
    ),
    Row(
        "untracked git-ignored file the step reads",
        "python",
        write("local/notes.txt", "note two\n"),
        steps("noted", "combine"),
        f"input local/notes.txt changed {UNDECLARED}",
        ("noted",),
    ),
    # Probes: undeclared reads the audit hooks may not see.
    Row(
        "file the step reads on a worker thread (ThreadPoolExecutor)",
        "python",
        write("thread.txt", "read on a worker thread, changed\n"),
        steps("threaded"),
        f"input thread.txt changed {UNDECLARED}",
        ("threaded",),
    ),
    Row(
        "comments in an unrelated module, the step's code and the helper module",
        "python",
        together(
            append("unrelated.py", "# a comment\n"),
            replace(
                "pipeline.py",
                "    return [scale(v, n) for v in values]",
                "    # a comment\n    return [scale(v, n) for v in values]  # another",
            ),
            replace("helpers.py", "    return value", "    # a comment\n    return value"),
        ),
    ),
    Row("mtime only", "python", touch_everything),
    Row("files no step reads", "python", edit_unread_files),
    # -- Shell steps -----------------------------------------------------------
    Row(
        "step code (the command)",
        "shell",
        replace("pipeline.py", "echo weight {w}", "echo weight: {w}"),
        steps("weight", "report"),
        "code changed",
        ("weight",),
    ),
    Row(
        "step code (the script it runs)",
        "shell",
        replace("src/count.sh", "echo $(($1 * total))", "echo $(($1 * total + 1))"),
        steps("count", "twice"),
        f"input src/count.sh changed {UNDECLARED}",
        ("count",),
    ),
    Row(
        "helper module the script imports",
        "shell",
        write("src/textutil.py", "def clean(text):\n    return text.strip().upper()\n"),
        steps("prepare", "report"),
        f"input src/textutil.py changed {UNDECLARED}",
        ("prepare",),
    ),
    Row(
        "import-time file (params.yaml)",
        "shell",
        write("params.yaml", "w: 2\n"),
        steps("weight", "report"),
        "import-time input params.yaml changed",
        ("weight",),
    ),
    Row(
        "file the script reads undeclared (conf.txt)",
        "shell",
        write("conf.txt", "suffix two\n"),
        steps("prepare", "report"),
        f"input conf.txt changed {UNDECLARED}",
        ("prepare",),
    ),
    # Probe: the stat cache keys on (inode, size, mtime), not ctime.
    Row(
        "file the script reads undeclared, rewritten in place keeping size and mtime",
        "shell",
        rewrite_in_place("conf.txt", "suffix", "suffiX"),
        steps("prepare", "report"),
        f"input conf.txt changed {UNDECLARED}",
        ("prepare",),
    ),
    Row(
        "declared dep (same size)",
        "shell",
        write("data/rows.csv", "value\n1\n2\n4\n"),
        steps("count", "twice"),
        "changed (data data/rows.csv)",
        ("count",),
    ),
    Row(
        "CLI param (-p n=4)",
        "shell",
        nothing,
        steps("count", "twice"),
        "param n: 3 -> 4",
        ("count",),
        args=("-p", "n=4"),
    ),
    Row(
        "default param",
        "shell",
        change_default,
        steps("count", "twice"),
        "param n: 3 -> 4",
        ("count",),
    ),
    Row(
        "package upgraded (soundpkg 1.0 -> 1.1)",
        "shell",
        upgrade_soundpkg,
        steps("version", "report"),
        "package soundpkg 1.0 -> 1.1 (used by the step)",
        ("version",),
    ),
    Row(
        "lock file (requirements.txt)",
        "shell",
        write("requirements.txt", "soundpkg==1.1\n"),
        SH_ALL,
        "environment changed (lockfile_oid ",
        ("prepare", "count", "weight", "notes", "version"),
    ),
    Row(
        "hand-edited out (clean.txt)",
        "shell",
        append("clean.txt", "edited by hand\n"),
        # Executed again, it makes the same clean.txt: report stays cached.
        steps("prepare"),
        "out clean.txt modified",
        ("prepare",),
        stale=steps("prepare", "report"),
    ),
    Row(
        "untracked git-ignored file the step reads",
        "shell",
        write("local/notes.txt", "note two\n"),
        steps("notes", "report"),
        f"input local/notes.txt changed {UNDECLARED}",
        ("notes",),
    ),
    Row(
        "comments in an unrelated module and the pipeline module",
        "shell",
        together(
            append("unrelated.py", "# a comment\n"),
            replace(
                "pipeline.py",
                '    sh("python3 src/prepare.py"',
                '    # a comment\n    sh("python3 src/prepare.py"',
            ),
        ),
    ),
    Row("mtime only (outs too)", "shell", touch_everything),
    Row("files no step reads", "shell", edit_unread_files),
    Row("an out deleted (restored, not stale)", "shell", delete_out),
]

CASES = [
    pytest.param(row, path, id=f"{row.kind}-{path}-{row.change}")
    for row in ROWS
    for path in row.paths
]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Case]:
    """Each (kind, path) project, built, run and committed once per test
    process: a case works on a copy."""
    projects: dict[tuple[str, str], Case] = {}

    def project(kind: str, path: str) -> Case:
        if (kind, path) not in projects:
            case = build_project(tmp_path_factory.mktemp(f"{kind}-{path}"), kind, path)
            lock = yaml.safe_load((case.root / "repro.lock").read_text())
            assert lock["pipelines"]["p"]["static"] is (path == "fast"), lock
            projects[kind, path] = case
        return projects[kind, path]

    return project


def stale_lines(out: str) -> dict[str, str]:
    """step -> its reasons, for each "stale" line of a status report."""
    return {
        match[1]: match[2] for match in re.finditer(r"^\s+stale\s+(\S+): (.*)$", out, re.MULTILINE)
    }


def fresh_before(case: Case) -> list[str]:
    """Before the change the copy is judged fresh: on the fast path by a
    bare `repro run` that never imports the pipeline, on the slow path by
    `status`. Either fills the copy's stat cache, as the last run did in a
    real work tree."""
    if case.path == "fast":
        return fast_path_holds(case)
    done = case.repro("status", TARGET)
    ok = done.code == 0 and done.out.startswith("p: fresh")
    return [] if ok else [f"status should be fresh: {done}"]


def fast_path_holds(case: Case, *args: str) -> list[str]:
    """The lock holds and the fast path says so: `repro run` answers "up to
    date" without importing the pipeline (the slow path may say "up to
    date" too, once it has imported it)."""
    if args:  # `-p` goes to the full command line, which asks the same fast path
        done, imported = case.repro_probed("run", "--json", TARGET, *args)
        ok = done.code == 0 and done.json()["status"] == "up-to-date"
    else:
        done, imported = case.repro_probed("run", TARGET)
        ok = done.code == 0 and "p: up to date" in done.out
    if ok and not imported:
        return []
    return [f"the fast path should say up to date (pipeline imported: {imported}): {done}"]


@pytest.mark.parametrize(("row", "path"), CASES)
def test_soundness(
    row: Row,
    path: str,
    built: Callable[[str, str], Case],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if row.kind == "shell":
        request.getfixturevalue("strace")  # shell steps' reads are traced
    case = built(row.kind, path).copy(tmp_path)
    before = fresh_before(case)
    assert not before, before
    row.edit(case)
    args = row.args
    problems: list[str] = []
    transcript: list[str] = []

    def repro(*command: str) -> Result:
        done = case.repro(*command)
        said = done.out + done.err
        if "--json" in command and done.code == 0:
            doc = done.json()
            said = f"(json) {doc['status']}: " + ", ".join(
                f"{step['name']} {step['status']}" for step in doc["steps"]
            )
        transcript.append(f"$ repro {' '.join(command)}  # exit {done.code}\n{said}")
        return done

    # 1. status says stale and why (or fresh).
    status = repro("status", TARGET, *args)
    stale = stale_lines(status.out)
    if status.code != 0:
        problems.append(f"status exited {status.code}")
    elif row.negative:
        if not status.out.startswith("p: fresh"):
            problems.append(f"status should say fresh, called stale {sorted(stale)}")
    else:
        expected = row.stale if row.stale is not None else row.executed
        if set(stale) != expected:
            problems.append(f"status should call stale {sorted(expected)}, not {sorted(stale)}")
        for step in row.changed:
            if row.reason not in stale.get(step, ""):
                problems.append(f"status should say {row.reason!r} for {step}")

    # 2. --frozen fails on a stale lock only.
    frozen = repro("run", TARGET, "--frozen", *args)
    if frozen.code != (0 if row.negative else 1):
        problems.append(f"run --frozen exited {frozen.code}")
    elif not row.negative and row.reason not in frozen.out:
        problems.append(f"run --frozen should say {row.reason!r}")

    # 3. run executes exactly the changed steps and what follows them.
    done = repro("run", "--json", TARGET, *args)
    if done.code != 0:
        problems.append("run failed")
        pytest.fail(report(problems, transcript))
    doc = done.json()
    ran = executed(doc)
    if ran != row.executed or set(statuses(doc).values()) - {"executed", "cached"}:
        problems.append(
            f"run --json should execute {sorted(row.executed)} and give the rest from the "
            f"cache; it executed {sorted(ran)} (run status {doc['status']})"
        )
    outputs = case.outputs(doc["run"])

    # 4. then the lock holds (asked of the fast path only: on the slow path
    # it costs an import), and the outputs are a --no-cache run's.
    if path == "fast":
        problems += [f"after the run, {p}" for p in fast_path_holds(case, *args)]
    oracle = repro("run", "--json", "--no-cache", TARGET, *args)
    assert oracle.code == 0, report(problems, transcript)
    truth = case.outputs(oracle.json()["run"])
    differ = [step for step in truth if truth[step] != outputs.get(step)]
    if differ:
        problems.append(
            f"outputs of {differ} differ from a --no-cache run's: "
            + "; ".join(f"{s} {outputs.get(s)} != {truth[s]}" for s in differ)
        )
    assert not problems, report(problems, transcript)


def report(problems: list[str], transcript: list[str]) -> str:
    return "\n".join(["", *problems, "", "What repro said:", *transcript])
