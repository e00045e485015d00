"""The Git hook scripts ``repro install-hooks`` writes: thin POSIX shell
that runs the hook it replaced (if any), then ``repro hook NAME``. The
copies in the repository's top-level ``hooks/`` folder are these texts."""

from __future__ import annotations

from typing import Final

__all__ = ["CHAINED_SUFFIX", "HOOK_NAMES", "MARKER", "hook_script", "is_repro_hook"]

HOOK_NAMES: Final = ("pre-push", "post-checkout", "post-merge")
# An existing hook is kept beside ours under this suffix and run first.
CHAINED_SUFFIX: Final = ".pre-repro"
MARKER: Final = "# repro-hook:"

_HEAD = """\
#!/bin/sh
{marker} {name} (written by `repro install-hooks`; `repro install-hooks --uninstall`
# removes it). It first runs the {name} hook it replaced, if any (kept
# beside it as {name}{suffix}), and stops if that one fails; then
# `repro hook {name}`: the repro on PATH, or the command in $REPRO (split
# on spaces).
"""

_PRE_PUSH = """\
# Pushes the runs repro.lock pins in the pushed commits to the default repro
# remote; fails when it cannot. Skip it once with `git push --no-verify`.
here=$(dirname "$0")
refs=$(cat)
feed() { if [ -n "$refs" ]; then printf '%s\\n' "$refs"; fi; }
if [ -x "$here/{name}{suffix}" ]; then
    feed | "$here/{name}{suffix}" "$@" || exit $?
fi
repro=${REPRO:-repro}
if ! command -v ${repro%% *} >/dev/null 2>&1; then
    echo "repro {name} hook: ${repro%% *} not found; install repro or set REPRO" \\
        "(or skip the check: git push --no-verify)" >&2
    exit 1
fi
feed | $repro hook {name} "$@"
"""

_POST = """\
# Checks out the data snapshots repro.lock pins (never overwriting a file
# whose content is not stored); skipped during a rebase.
here=$(dirname "$0")
if [ -x "$here/{name}{suffix}" ]; then
    "$here/{name}{suffix}" "$@" || exit $?
fi
repro=${REPRO:-repro}
if ! command -v ${repro%% *} >/dev/null 2>&1; then
    echo "repro {name} hook: ${repro%% *} not found; data not checked out" \\
        "(install repro or set REPRO)" >&2
    exit 0
fi
exec $repro hook {name} "$@"
"""


def hook_script(name: str) -> str:
    """The text of the installed hook ``name`` (one of HOOK_NAMES)."""
    if name not in HOOK_NAMES:
        raise ValueError(f"not a repro hook: {name!r}")
    body = _PRE_PUSH if name == "pre-push" else _POST
    # str.replace, not format: the shell text is full of braces.
    text = _HEAD + body
    for key, value in (("{marker}", MARKER), ("{name}", name), ("{suffix}", CHAINED_SUFFIX)):
        text = text.replace(key, value)
    return text


def is_repro_hook(text: str) -> bool:
    """Whether a hook file's text is one ``repro install-hooks`` wrote."""
    return any(line.startswith(MARKER) for line in text.splitlines()[:3])
