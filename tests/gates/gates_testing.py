"""Projects and environments for the gate tests: the flow project run once,
virtual environments of the project's own (cheap: no pip, this
interpreter's packages reached through a .pth, plus a fake distribution
whose version a test sets), and the real pre-commit against a snapshot of
this working tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from pipeline_testing import Result, cli, commit_all, make_flow_project
from repro_testing import GIT_ENV, git

REPO_ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = str(Path(sys.executable).with_name("pre-commit"))

# A step that imports the fake distribution, so its version is in the lock.
GATEDEP_FLOW = """\
import gatedep
from repro import pipeline, step


@step
def value() -> int:
    return gatedep.VALUE


@pipeline
def pinned() -> None:
    value()
"""


def run_flow(root: Path) -> Path:
    """The four-step flow project, committed, run once and its lock committed."""
    make_flow_project(root)
    ran = cli(root, "run")
    assert ran.code == 0, ran
    commit_all(root, "run")
    return root


def make_venv(path: Path, gatedep: str | None = "1.0") -> Path:
    """A virtual environment reaching this interpreter's packages (repro
    included) and, unless None, a distribution ``gatedep`` at that version;
    returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    site = _site_packages(path)
    purelib = sysconfig.get_paths()["purelib"]
    (site / "repro_tests.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    if gatedep is not None:
        (site / "gatedep.py").write_text("VALUE = 1\n")
        set_gatedep(path, gatedep)
    return path / "bin" / "python"


def bare_venv(path: Path) -> Path:
    """A virtual environment without repro; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path / "bin" / "python"


def set_gatedep(venv: Path, version: str) -> None:
    site = _site_packages(venv)
    for old in site.glob("gatedep-*.dist-info"):
        shutil.rmtree(old)
    info = site / f"gatedep-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: gatedep\nVersion: {version}\n")
    (info / "top_level.txt").write_text("gatedep\n")


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def gatedep_project(root: Path, venv: Path | None = None) -> Path:
    """A project whose step imports gatedep, with an environment of its own
    (``venv``, default .venv in it; gatedep 1.0), run by its interpreter and
    committed."""
    python = make_venv(venv or root / ".venv")
    (root / "pinned_flow.py").write_text(GATEDEP_FLOW)
    (root / "pyproject.toml").write_text(
        '[tool.repro.pipelines]\npinned = "pinned_flow.py:pinned"\n'
    )
    (root / ".gitignore").write_text("/.venv/\n")
    assert cli(root, "init").code == 0
    commit_all(root, "project")
    ran = subprocess.run(
        [str(python), "-m", "repro", "run"], cwd=root, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    commit_all(root, "run")
    return root


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str
    home: Path  # PRE_COMMIT_HOME: the hook environments, built once


def hooks_repository(dest: Path) -> tuple[Path, str]:
    """This working tree (uncommitted and untracked files included, ignored
    ones left out) as a Git repository of its own, committed: what pre-commit
    clones as repro's hook repository. Returns it and its commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "repro as a hook repository")
    return dest, git(dest, "rev-parse", "HEAD").strip()


def pre_commit_config(root: Path, repo: Path, rev: str, *hooks: str, args: str = "") -> None:
    lines = ["repos:", f"  - repo: {repo}", f"    rev: {rev}", "    hooks:"]
    for hook in hooks:
        lines.append(f"      - id: {hook}")
        if args:
            lines.append(f"        args: {args}")
    (root / ".pre-commit-config.yaml").write_text("\n".join(lines) + "\n")


def pre_commit(root: Path, *args: str, home: Path, env: dict[str, str] | None = None) -> Result:
    """The real pre-commit in ``root``, its environments kept in ``home``;
    no virtual environment active, as from a plain shell."""
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "REPRO_DEBUG")}
    environ.update({**GIT_ENV, "PRE_COMMIT_HOME": str(home), **(env or {})})
    done = subprocess.run(
        [PRE_COMMIT, *args], cwd=root, env=environ, capture_output=True, text=True, timeout=600
    )
    return Result(done.returncode, done.stdout, done.stderr)
