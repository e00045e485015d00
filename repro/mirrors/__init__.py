"""Mirrors: copies of run records in other tracking systems (MLflow), kept
for the people who browse runs there. The record in ``.repro/`` stays the
truth; a mirror that fails never fails the run, and can be retried."""

from __future__ import annotations

__all__: list[str] = []
