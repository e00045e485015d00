"""What a gate hands back: findings (each one line: where, what is wrong and
the command that fixes it) and notes (said, never failing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from repro.errors import ReproError

__all__ = ["Finding", "GateResult", "GateResultError"]


class GateResultError(ReproError, ValueError):
    """A gate's JSON (from the project's interpreter) that is not a result."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"not a gate result: {reason}")


@dataclass(frozen=True)
class Finding:
    check: str
    where: str  # a path relative to the current folder, with ':LINE' when known
    problem: str
    fix: str  # what to do, with the exact command

    @property
    def line(self) -> str:
        return f"{self.where}: {self.problem}: {self.fix}"

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check, "where": self.where, "problem": self.problem, "fix": self.fix}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        fields = [data.get(key) for key in ("check", "where", "problem", "fix")]
        texts = [value for value in fields if isinstance(value, str)]
        if len(texts) != len(fields):
            raise GateResultError(f"a finding needs check, where, problem and fix: {data!r}")
        return cls(*texts)


@dataclass(frozen=True)
class GateResult:
    check: str
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.findings

    @classmethod
    def merged(cls, check: str, results: Iterable[GateResult]) -> GateResult:
        findings: list[Finding] = []
        notes: list[str] = []
        for result in results:
            findings += result.findings
            notes += result.notes
        return cls(check, tuple(findings), tuple(notes))

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "passed": self.passed,
            "findings": [finding.to_dict() for finding in self.findings],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: object) -> GateResult:
        if not isinstance(data, Mapping) or not isinstance(data.get("check"), str):
            raise GateResultError(f"expected an object with 'check', got {data!r}")
        findings, notes = data.get("findings", []), data.get("notes", [])
        if not isinstance(findings, list) or not isinstance(notes, list):
            raise GateResultError("'findings' and 'notes' must be lists")
        if not all(isinstance(note, str) for note in notes):
            raise GateResultError("every note must be a string")
        parsed = []
        for finding in findings:
            if not isinstance(finding, Mapping):
                raise GateResultError(f"a finding must be an object, not {finding!r}")
            parsed.append(Finding.from_dict(finding))
        return cls(data["check"], tuple(parsed), tuple(notes))
