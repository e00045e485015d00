"""How sizes, ids, durations and times read to a person, the same in the
CLI, the UI and reports."""

from __future__ import annotations

__all__ = ["first_line", "human_duration", "human_size", "short_oid"]

SHORT_OID = 12


def human_size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"


def short_oid(oid: str | None) -> str:
    return oid[:SHORT_OID] if oid else ""


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def first_line(error: BaseException) -> str:
    """An error's message as one line of a page (some libraries' run on)."""
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[0][:300]
