"""Failures of a backend itself (not of a step's code)."""

from __future__ import annotations

from repro.errors import ReproError

__all__ = ["ContainerStartError"]


class ContainerStartError(ReproError):
    def __init__(self, step: str, image: str, reason: str) -> None:
        self.step, self.image, self.reason = step, image, reason
        super().__init__(f"step {step!r}: could not start a container of {image}: {reason}")
