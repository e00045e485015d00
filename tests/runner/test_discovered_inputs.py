"""Files a step opens while it runs that nothing declared (a config file a
Python step reads, a helper module a shell step's script imports) are
recorded on the step, in the lock and in its cache entry, and checked
before its result is reused: on the fast path, the slow path and in
`status`. Writes outside the declared outs are said, or refused with
`[run] undeclared = "error"`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from pipeline_testing import cli, commit_all, dedent, executed, run_json, statuses

PIPELINE = dedent(
    """
    from repro import pipeline, sh, step

    @step
    def configured() -> str:
        with open("cfg.json") as file:
            text = file.read()
        try:
            extra = open("optional.txt").read()
        except FileNotFoundError:
            extra = ""
        open(".git/HEAD").read()  # Git's: never an input
        return text + extra

    @step
    def threaded() -> str:
        from concurrent.futures import ThreadPoolExecutor

        def read(path: str) -> str:
            with open(path) as file:
                return file.read()

        with ThreadPoolExecutor(2) as pool:
            return "".join(pool.map(read, ["thread.txt"]))

    @step
    def spawning() -> str:
        import subprocess

        return subprocess.run(["cat", "child.txt"], capture_output=True, text=True).stdout

    @pipeline
    def p() -> None:
        sh("python3 src/prepare.py", name="prepare", outs=["clean.txt"])
        configured()
        threaded()
        spawning()
    """
)

PREPARE = dedent(
    """
    import sys
    sys.path.insert(0, "src")
    import textutil

    with open("raw.txt") as source, open("clean.txt", "w") as out:
        out.write(textutil.clean(source.read()))
    """
)


@pytest.fixture
def root(git_repo: Path, strace: str) -> Path:
    files = {
        "pipeline.py": PIPELINE,
        "src/prepare.py": PREPARE,
        "src/textutil.py": "def clean(text):\n    return text.strip().lower()\n",
        "raw.txt": "  Hello  \n",
        "cfg.json": '{"a": 1}\n',
        "thread.txt": "one\n",
        "child.txt": "one\n",
        ".gitignore": "clean.txt\n",
    }
    for name, text in files.items():
        (git_repo / name).parent.mkdir(parents=True, exist_ok=True)
        (git_repo / name).write_text(text)
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "project")
    first = cli(git_repo, "run", "pipeline.py:p")
    assert first.code == 0, first
    # What a program started by a Python step reads is not seen: it says so.
    assert "spawning (" in first.out
    assert "started cat: files a program reads are not seen" in first.out
    commit_all(git_repo, "run")
    return git_repo


def locked_discovered(root: Path) -> dict[str, dict[str, str | None]]:
    lock = yaml.safe_load((root / "repro.lock").read_text())
    steps = lock["pipelines"]["p"]["steps"]
    return {name: step["fingerprints"].get("discovered", {}) for name, step in steps.items()}


def assert_stale(root: Path, step: str, reason: str) -> None:
    status = cli(root, "status", "pipeline.py:p")
    assert f"stale    {step}: {reason}" in status.out, status.out
    frozen = cli(root, "run", "pipeline.py:p", "--frozen")
    assert frozen.code == 1, frozen
    assert reason in frozen.out


def test_the_lock_records_what_each_step_read(root: Path) -> None:
    found = locked_discovered(root)
    assert set(found["configured"]) == {"cfg.json", "optional.txt"}
    assert found["configured"]["optional.txt"] is None  # looked for, absent
    # The script and the helper it imports; raw.txt; not the out it wrote.
    assert set(found["prepare"]) == {"src/prepare.py", "src/textutil.py", "raw.txt"}
    assert cli(root, "status", "pipeline.py:p").out.startswith("p: fresh\n")


def test_a_file_read_on_a_thread_the_step_started_changed(root: Path) -> None:
    (root / "thread.txt").write_text("two\n")
    reason = "input thread.txt changed (read by the step, not declared)"
    assert_stale(root, "threaded", reason)
    assert executed(run_json(root, "pipeline.py:p")) == {"threaded"}


def test_a_file_a_python_step_read_changed(root: Path) -> None:
    (root / "cfg.json").write_text('{"a": 2}\n')
    assert_stale(root, "configured", "input cfg.json changed (read by the step, not declared)")
    doc = run_json(root, "pipeline.py:p")
    assert executed(doc) == {"configured"}


def test_a_file_it_looked_for_appeared(root: Path) -> None:
    (root / "optional.txt").write_text("more")
    assert_stale(
        root, "configured", "input optional.txt was added (read by the step, not declared)"
    )
    assert executed(run_json(root, "pipeline.py:p")) == {"configured"}


def test_a_helper_a_shell_steps_script_imports_changed(root: Path) -> None:
    (root / "src/textutil.py").write_text("def clean(text):\n    return text.strip().upper()\n")
    assert_stale(root, "prepare", "input src/textutil.py changed (read by the step, not declared)")
    done = cli(root, "run", "pipeline.py:p", "--explain")
    assert "executed prepare" in done.out and "input src/textutil.py changed" in done.out
    assert (root / "clean.txt").read_text() == "HELLO"


def test_the_fast_path_sees_the_change(root: Path) -> None:
    # A no-op run first: the lock is the run's, the fast path decides.
    assert "up to date" in cli(root, "run", "pipeline.py:p").out
    (root / "raw.txt").write_text("  Bye  \n")
    done = cli(root, "run", "pipeline.py:p")
    assert "executed prepare" in done.out, done.out
    assert (root / "clean.txt").read_text() == "bye"


def test_going_back_reuses_the_earlier_result(root: Path) -> None:
    (root / "cfg.json").write_text('{"a": 2}\n')
    assert executed(run_json(root, "pipeline.py:p")) == {"configured"}
    (root / "cfg.json").write_text('{"a": 1}\n')
    # One key, two results: the one whose discovered inputs hold is taken.
    assert statuses(run_json(root, "pipeline.py:p"))["configured"] == "cached"


def test_a_write_outside_the_outs_is_said(root: Path) -> None:
    (root / "src/prepare.py").write_text(PREPARE + 'open("stray.log", "w").write("x")\n')
    done = cli(root, "run", "pipeline.py:p")
    assert done.code == 0, done
    assert "executed prepare" in done.out
    assert "wrote outside its declared outs: stray.log" in done.out


def test_strict_mode_refuses_a_write_outside_the_outs(root: Path) -> None:
    with open(root / ".repro/config.toml", "a", encoding="utf-8") as file:
        file.write('\n[run]\nundeclared = "error"\n')
    (root / "src/prepare.py").write_text(PREPARE + 'open("stray.log", "w").write("x")\n')
    done = cli(root, "run", "pipeline.py:p")
    assert done.code == 1
    line = next(line for line in done.err.splitlines() if "prepare" in line)
    assert line.startswith("  failed   prepare")
    assert line.endswith("wrote outside its declared outs: stray.log")


def test_a_bad_undeclared_mode_is_one_line(root: Path) -> None:
    with open(root / ".repro/config.toml", "a", encoding="utf-8") as file:
        file.write('\n[run]\nundeclared = "maybe"\n')
    done = cli(root, "run", "pipeline.py:p")
    assert done.code != 0
    assert done.err.strip().endswith('run.undeclared: must be "warn" or "error"'), done.err
    assert "Traceback" not in done.err


def test_without_a_tracer_a_run_says_so_once(root: Path, tmp_path: Path) -> None:
    # A strace that cannot trace, as where ptrace is refused.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "strace").write_text("#!/bin/sh\nexit 1\n")
    (fake / "strace").chmod(0o755)
    (root / "raw.txt").write_text("changed\n")
    env = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    done = cli(root, "run", "pipeline.py:p", env=env)
    assert done.code == 0, done
    assert done.err.count("no working strace here") == 1, done.err
    assert "executed prepare" in done.out
