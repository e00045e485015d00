"""Rows, trials and the Markdown table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from benchmarks.campaign.proc import short

__all__ = ["Check", "Row", "Trial", "render"]


@dataclass
class Trial:
    label: str
    ok: bool
    reason: str = ""  # one line, when it did not hold


class Check:
    """The properties of one trial: every ``expect`` that fails adds its
    reason; the trial holds when none did."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.failures: list[str] = []

    def expect(self, condition: bool, reason: str) -> bool:
        if not condition:
            self.failures.append(reason)
        return condition

    def clean(self, result_reason: str | None, what: str) -> bool:
        """A command that must end cleanly (``Result.clean()``/``ok``-style
        reason strings: None means fine)."""
        return self.expect(result_reason is None, f"{what}: {result_reason}")

    def trial(self) -> Trial:
        return Trial(self.label, not self.failures, "; ".join(self.failures))


@dataclass
class Row:
    key: str
    kind: str
    trials: list[Trial] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the row itself broke (setup), beyond its trials
    seconds: float = 0.0

    def add(self, trial: Trial) -> Trial:
        self.trials.append(trial)
        return trial

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def held(self) -> int:
        return sum(trial.ok for trial in self.trials)

    @property
    def passed(self) -> bool:
        return self.error is None and self.held == len(self.trials) and bool(self.trials)

    def failures(self) -> list[Trial]:
        return [trial for trial in self.trials if not trial.ok]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(rows: list[Row], seconds: float) -> str:
    lines = ["| kind | trials | held | notes |", "|---|---|---|---|"]
    for row in rows:
        notes = list(row.notes)
        failures = row.failures()
        if failures:
            reasons = Counter(_reason_kind(t.reason) for t in failures)
            notes.insert(0, "FAILED: " + ", ".join(f"{n}x {r}" for r, n in reasons.most_common(3)))
        if row.error:
            notes.insert(0, f"ROW BROKE: {short(row.error, 200)}")
        held = f"{row.held}" if row.passed else f"**{row.held}**"
        kind = row.kind if row.passed else f"**{row.kind}**"
        lines.append(
            f"| {_cell(kind)} | {len(row.trials)} | {held} | "
            f"{_cell('; '.join(notes))} ({row.seconds:.0f}s) |"
        )
    total = sum(len(r.trials) for r in rows)
    all_held = sum(r.held for r in rows)
    lines.append("")
    lines.append(f"{all_held}/{total} trials held in {len(rows)} rows; {seconds:.0f}s in all.")
    failed = [(row, t) for row in rows for t in row.failures()]
    broken = [row for row in rows if row.error]
    if failed or broken:
        lines.append("")
        lines.append("Failures (one line each):")
        lines.append("")
        for row in broken:
            lines.append(f"- {row.key}: row broke: {short(row.error or '', 300)}")
        for row, trial in failed:
            lines.append(f"- {row.key} / {trial.label}: {short(trial.reason, 300)}")
    return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    """A short class of a failure reason, for the table cell."""
    head = reason.split(";")[0]
    return short(head.split(":")[0] if ":" in head else head, 60)
