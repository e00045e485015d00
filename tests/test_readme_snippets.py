"""The README's "Use in CI" and "Use with pre-commit" sections: their
snippets, taken from README.md, run for real. The CI commands against a
project a developer ran, pushed and committed, in a fresh clone; the
pre-commit configurations through the real ``pre-commit`` with this
repository's hooks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_testing import clone, copy_dev, dev_project, repro_lines, run_lines
from pipeline_testing import cli
from repro_testing import GIT_ENV, git

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
# A Python lock file with hashes, as repro-pinned asks of a project.
REQUIREMENTS = "pyyaml==6.0.4 --hash=sha256:" + "0" * 64 + "\n"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def manifest_ids() -> set[str]:
    return {hook["id"] for hook in yaml.safe_load(MANIFEST.read_text())}


def configs() -> list[dict[str, Any]]:
    return [yaml.safe_load(block) for block in fenced(section("Use with pre-commit"), "yaml")]


def hook_ids(config: dict[str, Any]) -> list[str]:
    return [hook["id"] for repo in config["repos"] for hook in repo["hooks"]]


def test_the_sections_come_before_exit_codes() -> None:
    titles = re.findall(r"^## (.+)$", README.read_text(), flags=re.MULTILINE)
    assert titles[-3:] == ["Use in CI", "Use with pre-commit", "Exit codes"]


# Use in CI


def ci_commands() -> list[str]:
    (block,) = fenced(section("Use in CI"), "sh")
    return repro_lines(block)


def test_the_ci_section_shows_the_frozen_check_the_ci_run_and_the_exit_code() -> None:
    assert ci_commands() == [
        "repro pull",
        "repro run --frozen",
        "repro status --exit-code",
        "repro run --ci",
    ]


def test_the_ci_section_names_the_example_files() -> None:
    text = section("Use in CI")
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        assert f"(examples/ci/{name})" in text
        assert (ROOT / "examples" / "ci" / name).is_file()


@pytest.fixture(scope="module")
def dev_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dev")
    dev_project(folder, {"requirements.txt": REQUIREMENTS})
    return folder


@pytest.fixture
def dev(dev_template: Path, tmp_path: Path) -> Path:
    return copy_dev(dev_template, tmp_path / "dev")


def test_the_ci_commands_pass_in_a_fresh_clone(dev: Path) -> None:
    checkout = clone(dev, dev.parent / "ci-checkout")
    results = run_lines(checkout, ci_commands())
    assert [r.code for r in results] == [0, 0, 0, 0], results
    assert git(checkout, "status", "--porcelain") == ""


def test_the_ci_commands_stop_at_the_frozen_check_when_the_lock_is_stale(dev: Path) -> None:
    checkout = clone(dev, dev.parent / "ci-checkout")
    (checkout / "helpers.py").write_text("def scale(value, factor):\n    return value + factor\n")
    git(checkout, "commit", "-qam", "code changed, lock not updated")
    results = run_lines(checkout, ci_commands())
    assert [r.code for r in results] == [0, 1], results
    assert "stale    transform: code changed (helpers.py)" in results[-1].out


# Use with pre-commit


def test_the_pre_commit_snippets_name_every_hook_once() -> None:
    python, system = configs()
    ids = manifest_ids()
    assert sorted(hook_ids(python)) == sorted(i for i in ids if not i.endswith("-system"))
    assert hook_ids(system) == [f"{name}-system" for name in hook_ids(python)]


@pytest.mark.parametrize("which", [0, 1])
def test_the_pre_commit_snippets_are_valid_configurations(which: int, tmp_path: Path) -> None:
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(fenced(section("Use with pre-commit"), "yaml")[which])
    done = subprocess.run(
        [_pre_commit(), "validate-config", str(config)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_system_snippet_passes_on_a_project_with_fresh_lineage(dev: Path) -> None:
    _, system = configs()
    done = _pre_commit_run(dev, system)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in hook_ids(system):
        assert re.search(rf"^{re.escape(_hook_name(name))}\.+Passed$", done.stdout, re.MULTILINE)


def test_the_python_snippets_arguments_are_accepted(dev: Path) -> None:
    """The python hooks need pre-commit to install repro from a package
    index; their -system twins run the same entry with the same arguments."""
    python, _ = configs()
    for repo in python["repos"]:
        for hook in repo["hooks"]:
            hook["id"] += "-system"
    done = _pre_commit_run(dev, python)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_system_snippet_blocks_a_commit_whose_lock_is_stale(dev: Path) -> None:
    (dev / "helpers.py").write_text("def scale(value, factor):\n    return value - factor\n")
    _, system = configs()
    done = _pre_commit_run(dev, system)
    assert done.returncode == 1
    assert re.search(r"^repro lineage .*\.+Failed$", done.stdout, re.MULTILINE), done.stdout
    assert cli(dev, "status", "--exit-code").code == 1


def _pre_commit() -> str:
    found = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    assert found is not None, "pre-commit is a dev dependency"
    return found


def _hook_name(hook_id: str) -> str:
    (hook,) = [h for h in yaml.safe_load(MANIFEST.read_text()) if h["id"] == hook_id]
    return str(hook["name"])


def _pre_commit_run(project: Path, config: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """``pre-commit run --all-files`` in ``project`` with ``config``, its
    repository pointed at a Git repository holding this working tree's
    hook manifest (the -system hooks need nothing else of it)."""
    hooks_repo = project.parent / "repro-hooks"
    if not hooks_repo.exists():
        hooks_repo.mkdir()
        shutil.copy(MANIFEST, hooks_repo / MANIFEST.name)
        git(hooks_repo, "init", "-q", "-b", "main")
        git(hooks_repo, "add", "-A")
        git(hooks_repo, "commit", "-qm", "hooks")
    for repo in config["repos"]:
        git(hooks_repo, "tag", "-f", repo["rev"])
        repo["repo"] = str(hooks_repo)
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(project, "add", ".pre-commit-config.yaml")
    env = {
        **os.environ,
        **GIT_ENV,
        "PRE_COMMIT_HOME": str(project.parent / "pre-commit-home"),
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
    }
    env.pop("REPRO_DEBUG", None)
    return subprocess.run(
        [_pre_commit(), "run", "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
