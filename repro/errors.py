"""The root of every error a user can cause.

Subclasses live next to the code that raises them, carry their fields and
build their own one-line message; the CLI maps any ``ReproError`` to that
line and an exit code, so a user never sees a traceback unless they ask.
"""

from __future__ import annotations

__all__ = ["ReproError", "UsageError"]


class ReproError(Exception):
    """Something the user can fix; ``str(err)`` is the one line to show."""

    exit_code: int = 1


class UsageError(ReproError):
    """The command was called wrongly (exit code 2, like a CLI usage error)."""

    exit_code = 2
