"""The root of every error a user can cause.

Subclasses live next to the code that raises them, carry their fields and
build their own one-line message; the CLI maps any ``ReproError`` to that
line and an exit code, so a user never sees a traceback unless they ask.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReproError", "UsageError"]


class ReproError(Exception):
    """Something the user can fix; ``str(err)`` is the one line to show."""

    exit_code: int = 1

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take their fields, not the message, in __init__, so the
        # default pickling (cls(*args)) would fail; errors raised in worker
        # processes must cross back intact.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[ReproError], args: tuple[Any, ...], state: dict[str, Any]) -> ReproError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class UsageError(ReproError):
    """The command was called wrongly (exit code 2, like a CLI usage error)."""

    exit_code = 2
