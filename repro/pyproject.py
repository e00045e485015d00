"""The project's ``[tool.repro]`` table in pyproject.toml, where the
pipelines and the image are configured: read here, below every layer that
needs it."""

from __future__ import annotations

import os
import tomllib
from typing import Any

from repro.errors import UsageError

__all__ = ["tool_repro_table"]


def tool_repro_table(root: str) -> dict[str, Any]:
    """The ``[tool.repro]`` table of the project's pyproject.toml: {} when
    the file or the table is absent."""
    path = os.path.join(root, "pyproject.toml")
    try:
        with open(path, "rb") as file:
            doc: dict[str, Any] = tomllib.load(file)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc
    table = doc.get("tool", {}).get("repro", {})
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.repro] must be a table")
    return table
