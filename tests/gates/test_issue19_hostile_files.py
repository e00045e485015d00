"""Issue 19: files anyone with a pull request can change (repro.lock,
models.yaml) and the config are read without tracebacks, hangs or
unbounded memory, through the real ``repro`` command."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cli_testing import one_line_error, run_repro

from repro.lineage.lock import LockInvalidError, parse_lock
from repro.models.modelsfile import ModelsFileInvalidError, parse_models_file
from repro.safeyaml import YamlRefusedError, load_yaml


def alias_bomb(levels: int = 9) -> str:
    """The issue's bomb: each level lists the one before nine times; about
    a kilobyte that expands to 9**9 strings for whoever walks it."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def bomb_lock(flow: Path) -> str:
    """The flow project's real lock with the bomb under its params."""
    text = (flow / "repro.lock").read_text()
    bomb = "\n".join("      " + line for line in alias_bomb().splitlines())
    return text.replace("    params:\n", f"    params:\n{bomb}\n", 1)


def test_the_bomb_is_what_the_issue_describes() -> None:
    assert len(alias_bomb()) < 1100
    # Expanded, it would hold 9**9 (387 million) strings.
    with pytest.raises(YamlRefusedError, match="anchors and aliases are not allowed"):
        load_yaml(alias_bomb(), "bomb.yaml")


def test_anchors_alone_are_refused_too() -> None:
    with pytest.raises(YamlRefusedError, match=r"^x.yaml:1: YAML anchors"):
        load_yaml("a: &a 1\n", "x.yaml")


def test_yaml_that_only_mentions_the_characters_reads() -> None:
    text = 'cmd: "cat data/*.csv && echo done"\nglob: "*"\n'
    assert load_yaml(text, "x.yaml") == yaml.safe_load(text)


def test_a_bomb_in_the_lock_is_an_invalid_lock_naming_its_line(flow: Path) -> None:
    text = bomb_lock(flow)
    with pytest.raises(LockInvalidError, match=r"^repro.lock:\d+: YAML anchors and aliases"):
        parse_lock(text)


def test_a_bomb_in_models_yaml_is_refused() -> None:
    with pytest.raises(ModelsFileInvalidError, match="anchors and aliases"):
        parse_models_file("schema: repro.models/v1\n" + alias_bomb(), "models.yaml")


def _limited(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize("command", [("check", "lock"), ("status",), ("run", "--frozen")])
def test_commands_refuse_a_bomb_in_the_lock_at_once(flow: Path, command: tuple[str, ...]) -> None:
    """The pre-commit gate and status ran past 60 s and 6 GB: now one line,
    under a 1 GiB address-space limit and a 60 s timeout (a hang guard, not
    a speed budget)."""
    (flow / "repro.lock").write_text(bomb_lock(flow))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "repro", *command],
        cwd=flow,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: _limited(1024 * 2**20),
    )
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr, done.stderr
    assert done.returncode != 0, done
    assert "anchors and aliases" in done.stdout + done.stderr
    assert time.monotonic() - started < 60


CONFIGS = {
    "non-UTF-8 byte": (
        b'[core]\nhash = "xxh3-128"\nx = "\xff"\n',
        "not UTF-8 text (byte 0xff on line 3)",
    ),
    "BOM then garbage": (b"\xef\xbb\xbf[core\n", "not valid TOML"),
    "not TOML": (b"[core\n", "not valid TOML"),
    "a folder too deep": (b'[cache]\ndir = "' + b"a/" * 1500 + b'"\n', "too long or too deep"),
    "hash not a name": (b"[core]\nhash = 1\n", "core.hash"),
    "section not a table": (b"core = 5\n", "core: must be a table"),
    "jobs not a number": (b"[core]\njobs = true\n", "core.jobs"),
    "cache types wrong": (b'[cache]\ntype = ["copy", 5]\n', "cache.type"),
}


@pytest.mark.parametrize("which", ["config.toml", "config.local.toml"])
@pytest.mark.parametrize("case", sorted(CONFIGS))
@pytest.mark.parametrize("command", [("fsck",), ("status",), ("snapshot", "."), ("push",)])
def test_a_bad_config_is_one_line_naming_the_file(
    flow: Path, which: str, case: str, command: tuple[str, ...]
) -> None:
    data, reason = CONFIGS[case]
    config = flow / ".repro" / which
    config.write_bytes(data)
    error = one_line_error(run_repro(flow, *command, timeout=60))
    assert str(config) in error and reason in error, error
