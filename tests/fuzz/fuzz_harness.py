"""Running the real ``repro`` on a hostile case and judging what it did.

Every command runs as ``python -m repro`` in the case's project, in a new
session (so that a hang is killed with everything it started), with a
1 GiB address-space limit and a 30 s timeout, TMPDIR and HOME inside the
case. What it did is judged by the properties of the fuzz suite:

- exit 0, or exit 1/2 with exactly one ``error: …`` line on stderr; never
  a traceback, never a signal, never a timeout;
- no hostile newline or escape sequence printed raw (a name must not be
  able to fake a line of output);
- no file written, changed or removed outside the project's data paths:
  the whole case (the project, its remote, the folder beside it) is listed
  with hashes before and after; only the internals repro keeps in
  ``.repro/`` (not its config), Git's index and temporary worktrees,
  ``data/`` (the datasets a pull restores) and ``outputs/`` (checkouts) may
  change.

Findings are collected per case and fail the example together. Knobs:

- REPRO_FUZZ_EXAMPLES=N or Nx: N examples per test, or N times the default
  (the defaults keep the suite under three minutes on two cores);
- REPRO_FUZZ_KEEP_GOING=1: log findings without failing, to survey them all;
- REPRO_FUZZ_LOG=FILE: one JSON line per command run and per finding
  (``python tests/fuzz/fuzz_summary.py FILE`` counts them);
- REPRO_FUZZ_KEEP_CASES=1: keep the folder of each case with a finding;
- REPRO_FUZZ_SHRINK=1: let hypothesis shrink a failing example (slow).

Under CI=true the examples are derandomized: the same ones every run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuzz_project import PROJECT, REMOTE, VICTIM, Template, copy_template
from hypothesis import HealthCheck, Phase, settings
from strict_ci import in_ci

TIMEOUT = 30.0
# Every command here peaks under 300 MiB of address space; 1 GiB leaves room
# and makes an unbounded read (a symlink to /dev/zero) fail in seconds.
MEMORY = 1 << 30
# A line a hostile name may try to fake: found at the start of a printed
# line, the name was printed raw.
FAKE = "FAKE"
_FAKE_LINE = re.compile(rf"(^|[\n\r\x0b\x0c\x85\u2028\u2029]){FAKE}")


def examples(default: int) -> int:
    """How many examples a test runs: ``default``, or REPRO_FUZZ_EXAMPLES
    (``N`` examples, or ``Nx`` times the default)."""
    scaled = os.environ.get("REPRO_FUZZ_EXAMPLES", "").strip()
    if not scaled:
        return default
    if scaled.endswith("x"):
        return max(1, round(default * float(scaled[:-1])))
    return int(scaled)


def fuzz_settings(default: int) -> settings:
    # No shrinking by default: each example costs seconds, and a shrink of
    # a finding could take the whole budget (REPRO_FUZZ_SHRINK=1 turns it on).
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("REPRO_FUZZ_SHRINK"):
        phases.append(Phase.shrink)
    return settings(
        max_examples=examples(default),
        deadline=None,
        database=None,
        # CI runs the same examples every time (a red CI is then a change of
        # repro's, not of luck); runs with REPRO_FUZZ_EXAMPLES explore anew.
        derandomize=in_ci() and not os.environ.get("REPRO_FUZZ_EXAMPLES"),
        phases=phases,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
        print_blob=True,
    )


@dataclass(frozen=True)
class Outcome:
    args: tuple[str, ...]
    code: int | None  # None: killed after the timeout
    out: str
    err: str
    seconds: float

    def describe(self) -> str:
        code = "timeout" if self.code is None else self.code
        return (
            f"$ repro {' '.join(repr(a) for a in self.args)}\n  exit {code} "
            f"({self.seconds:.1f}s)\n  stdout: {self.out[-1500:]!r}\n  stderr: {self.err[-3000:]!r}"
        )


@dataclass
class Finding:
    kind: str
    command: str
    detail: str

    @property
    def soft(self) -> bool:
        """Logged, but no failure: a page that says clearly what is wrong,
        with status 500 (the UI's answer to any repro error)."""
        return self.kind in SOFT


SOFT = {"ui-error-page"}


@dataclass
class Case:
    """One copy of the template, attacked then judged."""

    root: Path
    template: Template
    test: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the attacker did
    hostile: list[str] = field(default_factory=list)  # strings planted, for the fake-line check
    allowed: list[Path] = field(default_factory=list)  # extra places writes may go
    before: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    around: set[str] = field(default_factory=set)  # what lies beside and above the case

    @property
    def project(self) -> Path:
        return self.root / PROJECT

    @property
    def remote(self) -> Path:
        return self.root / REMOTE

    @property
    def store(self) -> Path:
        return self.root / REMOTE / "xxh3-128"

    @property
    def victim(self) -> Path:
        return self.root / VICTIM

    def fill(self, value: Any) -> Any:
        """``value`` with the placeholders of hostile strings filled in."""
        if isinstance(value, str):
            value = value.replace("{VICTIM}", str(self.victim)).replace("{CASE}", str(self.root))
            self.hostile.append(value)
            return value
        if isinstance(value, bytes):
            return value.replace(b"{VICTIM}", os.fsencode(self.victim))
        if isinstance(value, list | tuple):
            return type(value)(self.fill(item) for item in value)
        if isinstance(value, dict):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        return value

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- before and after --------------------------------------------------

    def freeze(self) -> None:
        """The listing every command is judged against: taken once the
        attacker has planted everything."""
        self.before = listing(self.root)
        self.around = neighbours(self.root)

    def repro(self, *args: str, timeout: float = TIMEOUT) -> Outcome:
        outcome = run_repro(self, args, timeout)
        self.judge(outcome)
        return outcome

    def judge(self, outcome: Outcome) -> None:
        command = "repro " + " ".join(outcome.args)
        found = judge_output(outcome, self.hostile)
        for kind, detail in found:
            self.findings.append(Finding(kind, command, detail + "\n" + outcome.describe()))
        after = listing(self.root)
        for kind, detail in judge_writes(self, self.before, after):
            self.findings.append(Finding(kind, command, detail + "\n" + outcome.describe()))
        around = neighbours(self.root)
        if around != self.around:
            changed = sorted(around ^ self.around)
            detail = f"beside or above the case: {changed}\n" + outcome.describe()
            self.findings.append(Finding("write-outside", command, detail))
            self.around = around
        log_command(self, outcome, found)
        self.before = after  # each command is judged on its own writes


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def environment(case: Case) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REPRO_DEBUG"}
    env.update(
        # The gates run the project's interpreter (python3 on PATH): this one.
        PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
        TMPDIR=str(case.root / "tmp"),
        HOME=str(case.root / "home"),
        COLUMNS="200",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_repro(case: Case, args: Iterable[str], timeout: float = TIMEOUT) -> Outcome:
    args = tuple(arg.replace("\0", "") for arg in args)  # no argv can hold a NUL
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "repro", *map(_argv, args)],
        cwd=case.project,
        env=environment(case),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limits,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        kill_group(process)
        out, err = process.communicate()
        code = None
    # Whatever it left running (a worker, a server) goes with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    return Outcome(
        args,
        code,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        time.monotonic() - start,
    )


def _argv(arg: str) -> bytes:
    try:
        return os.fsencode(arg)
    except UnicodeEncodeError:  # a lone surrogate: its bytes, as a shell would pass them
        return arg.encode("utf-8", "surrogatepass")


def kill_group(process: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


# -- judging output ---------------------------------------------------------


def judge_output(outcome: Outcome, hostile: list[str]) -> list[tuple[str, str]]:
    found = []
    text = outcome.out + outcome.err
    traceback = "Traceback (most recent call last)" in text
    if outcome.code is None:
        found.append(("hang", f"still running after {TIMEOUT:.0f}s (killed)"))
    elif "MemoryError" in text:
        where = last_traceback_line(text) if traceback else ""
        found.append(("memory", f"ran out of its 1 GiB address space: {where}"))
    elif traceback:
        found.append(("traceback", last_traceback_line(text)))
    elif outcome.code is not None and outcome.code not in (0, 1, 2):
        found.append(("exit", f"exit code {outcome.code} (a signal, or not a repro error)"))
    elif outcome.code == 2 and outcome.err.startswith("Usage: "):
        pass  # a usage error, as click prints one (the command line is the user's)
    elif outcome.code == 1 and (
        outcome.args[0] in ("check", "fsck", "gc") or outcome.args[:2] == ("run", "--frozen")
    ):
        # Gates, fsck, gc (damage it found and left alone) and a frozen run
        # report what they found on lines of their own.
        pass
    elif outcome.code in (1, 2):
        lines = [line for line in outcome.err.splitlines() if line.strip()]
        if len(lines) != 1 or not lines[0].startswith("error: "):
            found.append(("unclear-error", f"stderr is not one 'error: ' line: {outcome.err!r}"))
    if any(FAKE in value for value in hostile) and _FAKE_LINE.search(text):
        found.append(("raw-output", "a hostile name's line break was printed raw"))
    if "\x1b" in text and any("\x1b" in value for value in hostile):
        found.append(("raw-output", "a hostile name's escape sequence was printed raw"))
    return found


def last_traceback_line(text: str) -> str:
    """The exception of the last traceback in ``text``, and where it was
    raised (the innermost frame, and the innermost one in repro)."""
    lines = text.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("Traceback"))
    frames, exception = [], "?"
    for line in lines[start + 1 :]:
        if line.startswith("  File "):
            frames.append(line.strip())
        elif line.strip() and not line.startswith(" "):
            exception = line.strip()
            break
    ours = [frame for frame in frames if "/repro/" in frame and "site-packages" not in frame]
    where = " <- ".join(dict.fromkeys([*frames[-1:], *ours[-1:]])) or "?"
    return f"{exception[:300]} (at {where})"


# -- judging writes ---------------------------------------------------------

# Under the project: where repro may write, whatever a record says.
# Git's index (refreshed by `git status`), temporary worktrees (replay) and
# objects (a run stores its uncommitted diff): nothing Git runs or obeys.
_GIT_ALLOWED = re.compile(r"\.git/(index|index\.lock|worktrees(/.*)?|logs(/.*)?|objects(/.*)?)")
_REPRO_PROTECTED = {".repro/config.toml", ".repro/config.local.toml", ".repro/.gitignore"}
_REPORT = re.compile(r"[0-9a-z]{14}\.html")


def listing(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every file, folder and symlink under ``root`` (but tmp/ and home/),
    with its mode and a hash of its content."""
    found: dict[str, tuple[Any, ...]] = {}
    skip = {str(root / "tmp"), str(root / "home")}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skip]
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            if os.path.islink(path):
                found[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                found[rel] = ("dir", info.st_mode & 0o7777)
            else:
                found[rel] = ("file", info.st_mode & 0o7777, _digest(path))
    return found


def neighbours(root: Path) -> set[str]:
    """The entries of the two folders above the case (other cases of this
    test process, the template): a path climbing out of the case by more
    than it has would land there."""
    found = set()
    for folder in (root.parent, root.parent.parent):
        for name in os.listdir(folder):
            path = folder / name
            if path != root and not name.startswith("case-"):
                info = os.lstat(path)
                found.add(f"{path} {info.st_mode:o} {info.st_size} {info.st_mtime_ns}")
    return found


def _digest(path: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    return digest.hexdigest()


def judge_writes(
    case: Case, before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]]
) -> list[tuple[str, str]]:
    changes = []
    for rel in sorted(before.keys() | after.keys()):
        old, new = before.get(rel), after.get(rel)
        if old == new:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        kind = classify(case, rel, change)
        if kind is not None:
            changes.append((kind, f"{change}: {rel} ({old} -> {new})"))
    # One finding per kind, naming every path.
    merged: dict[str, list[str]] = {}
    for kind, detail in changes:
        merged.setdefault(kind, []).append(detail)
    return [(kind, "\n".join(details[:20])) for kind, details in merged.items()]


def classify(case: Case, rel: str, change: str) -> str | None:
    path = case.root / rel
    if any(path == place or place in path.parents for place in case.allowed):
        return None
    project = PROJECT.as_posix() + "/"
    if not rel.startswith(project):
        if rel.startswith(VICTIM.as_posix()):
            return "write-outside"  # beside the project (or through its symlink)
        return "write-outside" if not rel.startswith(REMOTE.as_posix()) else "remote-changed"
    inner = rel[len(project) :]
    if inner == ".git" or inner.startswith(".git/"):
        return None if _GIT_ALLOWED.fullmatch(inner) else "git-write"
    if inner == ".repro" or inner.startswith(".repro/"):
        return "config-write" if inner in _REPRO_PROTECTED else None
    top = inner.split("/", 1)[0]
    if top in ("data", "outputs"):
        return None
    if change == "added" and _REPORT.fullmatch(inner):
        return None  # `repro report RUN` writes RUN.html here
    return "new-file" if change == "added" else "source-changed"


# -- the log and the cases ----------------------------------------------------


def log_command(case: Case, outcome: Outcome, found: list[tuple[str, str]]) -> None:
    path = os.environ.get("REPRO_FUZZ_LOG")
    if not path:
        return
    entry = {
        "test": case.test,
        "command": _command_name(outcome.args),
        "args": list(outcome.args),
        "code": outcome.code,
        "seconds": round(outcome.seconds, 2),
        "error": outcome.err.strip().splitlines()[-1][:300] if outcome.err.strip() else "",
    }
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\n")


def log_findings(case: Case) -> None:
    path = os.environ.get("REPRO_FUZZ_LOG")
    if not path or not case.findings:
        return
    with open(path, "a", encoding="utf-8") as file:
        for finding in case.findings:
            entry = {
                "test": case.test,
                "finding": finding.kind,
                "command": finding.command,
                "detail": finding.detail,
                "attack": case.notes,
                "case": str(case.root),
            }
            file.write(json.dumps(entry) + "\n")


def _command_name(args: tuple[str, ...]) -> str:
    words = []
    for arg in args:
        if arg.startswith("-") or len(words) == 2:
            break
        words.append(arg)
        if words[0] not in ("runs", "check", "models", "lock", "remote"):
            break
    return " ".join(words) + (" --dry-run" if "--dry-run" in args else "")


@contextlib.contextmanager
def attack(template: Template, test: str) -> Iterator[Case]:
    """A fresh copy of the template for one example; on exit, every finding
    of its commands fails the example (unless REPRO_FUZZ_KEEP_GOING)."""
    base = template.base.parent / "cases"
    base.mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="case-", dir=base))
    shutil.rmtree(root)
    copy_template(template, root)
    case = Case(root=root, template=template, test=test)
    keep = False
    try:
        yield case
        log_findings(case)
        hard = [finding for finding in case.findings if not finding.soft]
        keep = bool(hard) and bool(os.environ.get("REPRO_FUZZ_KEEP_CASES"))
        if hard and not os.environ.get("REPRO_FUZZ_KEEP_GOING"):
            raise AssertionError(report(case, hard))
    finally:
        if not keep:
            _remove(root)


def _remove(root: Path) -> None:
    # Objects in the cache are read-only; a hostile case may have made more.
    def retry(function: Any, path: str, _: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o755)
            os.chmod(path, 0o755)
            function(path)

    shutil.rmtree(root, onerror=retry)


def report(case: Case, findings: list[Finding]) -> str:
    attack_lines = "\n".join(f"  - {line}" for line in case.notes) or "  (none)"
    text = "\n\n".join(
        f"[{finding.kind}] {finding.command}\n{finding.detail}" for finding in findings
    )
    return f"{len(findings)} finding(s) in {case.root}\nattack:\n{attack_lines}\n\n{text}"
