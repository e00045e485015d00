"""The scripts in the repository's hooks/ folder are the ones
``repro install-hooks`` writes, and plain POSIX shell."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from repro.githooks.scripts import HOOK_NAMES, hook_script, is_repro_hook

HOOKS = Path(__file__).resolve().parents[2] / "hooks"


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_the_hooks_folder_holds_the_installed_script(name: str) -> None:
    path = HOOKS / name
    assert path.read_text() == hook_script(name)
    assert os.access(path, os.X_OK)


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_each_script_is_valid_posix_shell(name: str) -> None:
    done = subprocess.run(["sh", "-n", str(HOOKS / name)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_script_is_recognised_as_repro_s_and_another_is_not() -> None:
    assert is_repro_hook(hook_script("post-merge"))
    assert not is_repro_hook("#!/bin/sh\n# repro-hook is mentioned later\nexit 0\n")


def test_repro_missing_from_path_fails_a_push_with_the_escape(tmp_path: Path) -> None:
    hook = tmp_path / "pre-push"
    hook.write_text(hook_script("pre-push"))
    hook.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "REPRO": "no-such-repro-command"}
    done = subprocess.run([str(hook)], input="", env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "no-such-repro-command not found" in done.stderr
    assert "git push --no-verify" in done.stderr


def test_repro_missing_from_path_never_fails_a_checkout(tmp_path: Path) -> None:
    hook = tmp_path / "post-checkout"
    hook.write_text(hook_script("post-checkout"))
    hook.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "REPRO": "no-such-repro-command"}
    done = subprocess.run([str(hook), "a", "b", "1"], env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert "data not checked out" in done.stderr
