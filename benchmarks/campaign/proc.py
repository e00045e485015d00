"""Real processes: started in their own session, watched for time and
memory, reaped with ``wait4`` (so each one's own peak memory is known),
killed with a real ``SIGKILL``.

Output goes to files, not pipes, so that a process that prints a lot never
blocks on a pipe nobody reads while it is being watched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "GIT_ENV",
    "Proc",
    "Result",
    "base_env",
    "git",
    "repro",
    "run",
    "start",
    "start_repro",
]

GIT_ENV = {
    "GIT_AUTHOR_NAME": "repro campaign",
    "GIT_AUTHOR_EMAIL": "campaign@repro.invalid",
    "GIT_COMMITTER_NAME": "repro campaign",
    "GIT_COMMITTER_EMAIL": "campaign@repro.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
_POLL = 0.02
_EXTRA_ENV: dict[str, str] = {}


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without repro's debug switch (tracebacks must come
    only from defects), with Git's identity fixed and this interpreter's
    folder first on PATH (a step or a hook that calls ``repro`` gets this
    one)."""
    env = {k: v for k, v in os.environ.items() if k != "REPRO_DEBUG"}
    env.update(GIT_ENV)
    env.update(_EXTRA_ENV)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.setdefault("HOME", tempfile.gettempdir())
    env.update(extra or {})
    return env


def set_extra_env(values: dict[str, str]) -> None:
    """Variables every later process gets (the S3 server's credentials)."""
    _EXTRA_ENV.update(values)


@dataclass
class Result:
    args: list[str]
    code: int | None  # None: it did not end by itself (killed by the watchdog)
    out: str
    err: str
    seconds: float
    max_rss_kib: int = 0
    stopped: str | None = None  # why the watchdog killed it: "timeout" or "memory"
    signal: int | None = None  # the signal that ended it

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.err or "Traceback" in self.out

    def err_lines(self) -> list[str]:
        return [line for line in self.err.strip().splitlines() if line.strip()]

    def one_line_refusal(self) -> str | None:
        """None when this is a clean refusal (non-zero exit, one line on
        stderr, no traceback); else why not."""
        if self.stopped:
            return f"{self.stopped} after {self.seconds:.1f}s"
        if self.traceback:
            return f"traceback: {last_line(self.err)}"
        if self.code == 0:
            return "accepted (exit 0)"
        if self.signal is not None:
            return f"died of signal {self.signal}"
        return self._message_problem()

    def clean(self) -> str | None:
        """None when the command ended by itself with no traceback, and,
        if it failed, with a one-line message; else why not."""
        if self.stopped:
            return f"{self.stopped} after {self.seconds:.1f}s"
        if self.traceback:
            return f"traceback: {last_line(self.err)}"
        if self.signal is not None:
            return f"died of signal {self.signal}"
        if self.code != 0:
            return self._message_problem()
        return None

    def _message_problem(self) -> str | None:
        """A failure must say why: one line on stderr, or (the gates of
        ``repro check``) one line per finding on stdout and none on stderr."""
        lines = self.err_lines()
        if len(lines) == 1:
            return None
        if lines:
            return f"exit {self.code}, {len(lines)} lines on stderr: {short(' | '.join(lines[:3]))}"
        if any(line.strip() for line in self.out.splitlines()):
            return None
        return f"exit {self.code} and not a word said"

    def brief(self) -> str:
        """The command and how it ended, for a one-line reason."""
        tail = last_line(self.err) or last_line(self.out)
        shown = " ".join(self.args[2:] if self.args[1:2] == ["-m"] else self.args)
        how = self.stopped or (f"signal {self.signal}" if self.signal else f"exit {self.code}")
        return f"`{short(shown, 60)}` {how}: {short(tail)}"


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def short(text: str, limit: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Proc:
    """A started process, in its own session (so its helpers can be found
    and, if they outlive it, cleaned up by group id)."""

    args: list[str]
    popen: subprocess.Popen[bytes]
    started: float
    out_path: Path
    err_path: Path
    timeout: float
    rss_limit_kib: int | None
    result: Result | None = None
    peak_seen_kib: int = field(default=0)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.result is None and self._poll() is None

    def kill9(self) -> None:
        """``kill -9`` of the process itself (not its group): what a user or
        the OOM killer does."""
        if self.result is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def _poll(self) -> Result | None:
        if self.result is not None:
            return self.result
        try:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status, usage = self.pid, 0, None
        if pid == 0:
            return None
        self._finish(status, usage)
        return self.result

    def _finish(self, status: int, usage: object, stopped: str | None = None) -> None:
        code = os.waitstatus_to_exitcode(status)
        self.popen.returncode = code  # reaped here: Popen must not wait again
        out = self.out_path.read_text(errors="replace")
        err = self.err_path.read_text(errors="replace")
        for path in (self.out_path, self.err_path):
            path.unlink(missing_ok=True)
        rss = int(getattr(usage, "ru_maxrss", 0) or 0)
        self.result = Result(
            self.args,
            None if stopped else (code if code >= 0 else None),
            out,
            err,
            time.monotonic() - self.started,
            max(rss, self.peak_seen_kib),
            stopped,
            -code if code < 0 else None,
        )

    def wait(self) -> Result:
        """Wait for the end, killing the process (and its group) if it
        runs past its timeout or its memory limit."""
        while True:
            done = self._poll()
            if done is not None:
                return done
            elapsed = time.monotonic() - self.started
            stop = None
            if elapsed > self.timeout:
                stop = "timeout"
            elif self.rss_limit_kib is not None:
                rss = rss_kib(self.pid)
                self.peak_seen_kib = max(self.peak_seen_kib, rss)
                if rss > self.rss_limit_kib:
                    stop = "memory"
            if stop:
                kill_group(self.pid)
                _, status, usage = os.wait4(self.pid, 0)
                self._finish(status, usage, stopped=stop)
                assert self.result is not None
                return self.result
            time.sleep(_POLL)

    def stragglers(self, grace: float = 5.0) -> float:
        """After the process ended: wait for the rest of its group (workers
        it started) to go; kill what is left after ``grace`` seconds. The
        seconds they outlived it (``grace`` when they had to be killed)."""
        began = time.monotonic()
        while time.monotonic() - began < grace:
            if not group_alive(self.pid):
                return time.monotonic() - began
            time.sleep(_POLL)
        kill_group(self.pid)
        return grace


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as file:
            for line in file:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_group(pgid: int) -> None:
    """SIGKILL to the process group this campaign started (by its id)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def start(
    args: list[str],
    cwd: Path | str,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 180.0,
    rss_limit_mib: int | None = None,
) -> Proc:
    fd_out, out_name = tempfile.mkstemp(prefix="campaign-out-")
    fd_err, err_name = tempfile.mkstemp(prefix="campaign-err-")
    try:
        popen = subprocess.Popen(
            args,
            cwd=cwd,
            env=base_env(env),
            stdin=subprocess.DEVNULL,
            stdout=fd_out,
            stderr=fd_err,
            start_new_session=True,
        )
    finally:
        os.close(fd_out)
        os.close(fd_err)
    return Proc(
        list(args),
        popen,
        time.monotonic(),
        Path(out_name),
        Path(err_name),
        timeout,
        rss_limit_mib * 1024 if rss_limit_mib else None,
    )


def run(args: list[str], cwd: Path | str, **kwargs: object) -> Result:
    return start(args, cwd, **kwargs).wait()  # type: ignore[arg-type]


def repro_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "repro", *args]


def start_repro(cwd: Path | str, *args: str, **kwargs: object) -> Proc:
    return start(repro_args(*args), cwd, **kwargs)  # type: ignore[arg-type]


def repro(cwd: Path | str, *args: str, **kwargs: object) -> Result:
    return start_repro(cwd, *args, **kwargs).wait()


def git(cwd: Path | str, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=base_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip()}")
    return done.stdout
