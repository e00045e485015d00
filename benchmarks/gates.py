"""The pre-commit gates on an unchanged project whose pipeline reads a
10,000-file data tree (1,000 with --quick), after a first run.

The real pre-commit runs the four `-system` hooks of .pre-commit-hooks.yaml
(repro-lineage, -lock-valid, -large-data, -pinned) from a snapshot of this
working tree, with --all-files. Beside it, in the same rounds: pre-commit
running four hooks that do nothing (its own cost), each `repro check` as
one process, `repro check all` (every gate in one process), the lineage
delegated to another interpreter of the project (what the `language:
python` hook does), and `git status`. Best of 5. Target: the hook set under
a second.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import (
    GIT_IDENTITY,
    REPO_ROOT,
    Context,
    Report,
    interleaved,
    note,
    print_table,
    run_command,
)
from benchmarks.datasets import FIXED_MTIME
from benchmarks.projects import git, git_commit_all, new_repro_project

__all__ = ["run"]

RUNS = 5
FILES = 10_000
FILE_SIZE = 1024
TARGET_S = 1.0
HOOKS = ("repro-lineage", "repro-lock-valid", "repro-large-data", "repro-pinned")
PIPELINE = """\
from pathlib import Path

from repro import Dataset, pipeline, step


@step
def count(path: Path) -> int:
    return sum(1 for _ in path.rglob("*"))


@pipeline
def tree(data: Dataset = Dataset("data")) -> None:
    count(data)
"""
_LABELS = {
    "pre_commit": "pre-commit run --all-files, the 4 hooks",
    "pre_commit_noop": "pre-commit run --all-files, 4 no-op hooks (floor)",
    "lineage": "repro check lineage",
    "lock": "repro check lock",
    "large_data": "repro check large-data (tracked files)",
    "pinned": "repro check pinned",
    "all": "repro check all (one process)",
    "delegated": "repro check lineage, judged by another interpreter",
    "git": "git status",
}


def run(ctx: Context) -> Report:
    report = Report("gates")
    files = FILES // ctx.scale
    project = _project(ctx, files)
    env = _pre_commit_env(ctx, project)
    actions = _actions(ctx, project, env)
    note("first run of every action (stamps, pre-commit's clone), untimed")
    for action in actions.values():
        action()
    seconds = interleaved(RUNS, actions)
    _print(files, seconds)
    best = min(seconds["pre_commit"])
    report.data = {"files": files, "seconds": seconds}
    report.check(
        f"pre-commit hook set, unchanged {files:,}-file tree",
        f"{best:.2f} s",
        f"< {TARGET_S:.0f} s",
        best < TARGET_S,
    )
    return report


def _project(ctx: Context, files: int) -> Path:
    """A repro project (in Git) whose pipeline reads data/ (ignored by Git), run once."""
    root = new_repro_project(ctx, ctx.work / "gates-project")
    note(f"writing {files:,} data files and running the pipeline once")
    rng = random.Random(7)
    for index in range(files):
        path = root / "data" / f"d{index // 100:03d}" / f"f{index:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(FILE_SIZE))
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    (root / "tree.py").write_text(PIPELINE)
    (root / "pyproject.toml").write_text('[tool.repro.pipelines]\ntree = "tree.py:tree"\n')
    (root / "uv.lock").write_text("version = 1\n")
    (root / ".gitignore").write_text("/data/\n")
    git_commit_all(root, "project")
    run_command([ctx.repro, "run"], cwd=root)
    git_commit_all(root, "run")
    return root


def _venv(path: Path) -> Path:
    """Another interpreter of the same packages (no pip: a .pth reaches them)."""
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    site = next((path / "lib").glob("python3*/site-packages"))
    purelib = sysconfig.get_paths()["purelib"]
    (site / "bench.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    return path / "bin" / "python"


def _pre_commit_env(ctx: Context, project: Path) -> dict[str, str]:
    """The -system hooks from a snapshot of this working tree, and a no-op
    configuration beside them; returns the environment to run pre-commit in."""
    hooks = _hook_repository(ctx.work / "gates-hook-repo")
    rev = git(hooks, "rev-parse", "HEAD").strip()
    lines = ["repos:", f"  - repo: {hooks}", f"    rev: {rev}", "    hooks:"]
    lines += [f"      - id: {hook}-system" for hook in HOOKS]
    (project / ".pre-commit-config.yaml").write_text("\n".join(lines) + "\n")
    noop = ["repos:", "  - repo: local", "    hooks:"]
    noop += [
        f"      - {{id: noop{i}, name: noop, entry: 'true', language: system, "
        "pass_filenames: false, always_run: true}"
        for i in range(len(HOOKS))
    ]
    (ctx.work / "gates-noop.yaml").write_text("\n".join(noop) + "\n")
    git_commit_all(project, "pre-commit configuration")
    home = ctx.work / "gates-pre-commit-home"
    shutil.rmtree(home, ignore_errors=True)
    # As in a shell where the environment holding repro is active.
    path = f"{Path(ctx.repro).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {"PRE_COMMIT_HOME": str(home), "PATH": path, "VIRTUAL_ENV": sys.prefix}


def _hook_repository(dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    listed = run_command(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT
    )
    for name in filter(None, listed.split("\0")):
        if (REPO_ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, dest / name)
    run_command(["git", "init", "-q", "-b", "main"], cwd=dest)
    run_command(["git", *GIT_IDENTITY, "add", "-A"], cwd=dest)
    run_command(["git", *GIT_IDENTITY, "commit", "-q", "-m", "hooks"], cwd=dest)
    return dest


def _actions(ctx: Context, project: Path, env: dict[str, str]) -> dict[str, Callable[[], object]]:
    pre_commit = str(Path(sys.executable).with_name("pre-commit"))
    noop_config = str(ctx.work / "gates-noop.yaml")
    tracked = git(project, "ls-files").split()
    other_python = str(_venv(ctx.work / "gates-venv"))

    def command(*argv: str) -> Callable[[], object]:
        return lambda: run_command(list(argv), cwd=project, env=env)

    return {
        "pre_commit": command(pre_commit, "run", "--all-files"),
        "pre_commit_noop": command(pre_commit, "run", "--all-files", "-c", noop_config),
        "lineage": command(ctx.repro, "check", "lineage"),
        "lock": command(ctx.repro, "check", "lock"),
        "large_data": command(ctx.repro, "check", "large-data", *tracked),
        "pinned": command(ctx.repro, "check", "pinned"),
        "all": command(ctx.repro, "check", "all"),
        "delegated": command(ctx.repro, "check", "lineage", "--python", other_python),
        "git": command("git", "status"),
    }


def _print(files: int, seconds: dict[str, list[float]]) -> None:
    rows = [[_LABELS[key], min(runs), max(runs)] for key, runs in seconds.items()]
    title = f"gates: unchanged project, {files:,}-file data tree, best of {RUNS}"
    print_table(title, ["what", "best s", "worst s"], rows)
