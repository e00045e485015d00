"""Checks of a CronWorkflow's schedule, time zone and concurrency policy,
so that a bad schedule fails at render time rather than on the cluster.

Schedules are checked as Argo parses them: robfig/cron v3's standard parser
(five fields, or a descriptor). Where robfig silently accepts nonsense this
is stricter: an empty item in a list (``1,,2``), text after ``*``
(``*-5``) and an ``@every`` interval that is not positive (robfig runs
those every second).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

from repro.errors import UsageError

__all__ = [
    "CONCURRENCY_POLICIES",
    "InvalidConcurrencyPolicyError",
    "InvalidScheduleError",
    "UnknownTimezoneError",
    "check_concurrency_policy",
    "check_schedule",
    "check_timezone",
]

CONCURRENCY_POLICIES: Final = ("Allow", "Forbid", "Replace")

_DESCRIPTORS: Final = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_EVERY: Final = "@every "
_TIMEZONE_PREFIXES: Final = ("TZ=", "CRON_TZ=")
_NUMBER: Final = re.compile(r"\+?[0-9]+")  # what Go's strconv.Atoi takes, minus signs
_MONTHS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_DAYS: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ with these units.
_DURATION_PART: Final = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")
_DURATION_UNITS_NS: Final = {
    "ns": 1,
    "us": 10**3,
    "\u00b5s": 10**3,
    "\u03bcs": 10**3,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_MAX_DURATION_NS: Final = 2**63 - 1


@dataclass(frozen=True)
class _Field:
    name: str
    minimum: int
    maximum: int
    names: Mapping[str, int] = field(default_factory=dict)
    name_kind: str = ""
    range_note: str = ""


_FIELDS: Final = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, {name: i for i, name in enumerate(_MONTHS, 1)}, "month name (JAN-DEC)"),
    _Field(
        "day-of-week",
        0,
        6,
        {name: i for i, name in enumerate(_DAYS)},
        "day name (SUN-SAT)",
        " (Sunday is 0)",
    ),
)


class InvalidScheduleError(UsageError, ValueError):
    def __init__(self, expression: str, field: str | None, reason: str) -> None:
        self.expression = expression
        self.field = field
        self.reason = reason
        where = f"{field} field: " if field else ""
        super().__init__(
            f"invalid cron schedule {expression!r}: {where}{reason}; write five fields "
            "(minute hour day-of-month month day-of-week, e.g. '0 3 * * *'), "
            "@hourly, @daily, @weekly, @monthly, @yearly or '@every 1h30m'"
        )


class UnknownTimezoneError(UsageError, ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"unknown time zone {name!r}: use an IANA time zone name such as "
            "'Europe/Paris', 'America/New_York' or 'UTC'"
        )


class InvalidConcurrencyPolicyError(UsageError, ValueError):
    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(
            f"invalid concurrency policy {value!r}: use one of "
            f"{', '.join(CONCURRENCY_POLICIES)} (spelled exactly so)"
        )


def check_schedule(expression: str) -> str:
    """``expression`` unchanged if Argo would accept it as a schedule."""
    if not expression.strip():
        raise InvalidScheduleError(expression, None, "the schedule is empty")
    if expression.lstrip().startswith(_TIMEZONE_PREFIXES):
        # Argo prefixes the schedule with CRON_TZ= from `timezone` itself.
        raise InvalidScheduleError(
            expression,
            None,
            "a TZ=/CRON_TZ= prefix is not allowed: set `timezone` under [tool.repro.argo] instead",
        )
    if expression.startswith("@"):
        _check_descriptor(expression)
        return expression
    fields = expression.split()
    if len(fields) != len(_FIELDS):
        raise InvalidScheduleError(
            expression, None, f"expected {len(_FIELDS)} fields, found {len(fields)}"
        )
    for spec, text in zip(_FIELDS, fields, strict=True):
        _check_field(expression, spec, text)
    return expression


def check_timezone(name: str) -> str:
    """``name`` unchanged if it names a zone of the IANA database (what the
    Argo controller loads with Go's time.LoadLocation)."""
    try:
        zoneinfo.ZoneInfo(name)
    # A malformed key is a ValueError; a folder of the database (Europe), an OSError.
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise UnknownTimezoneError(name) from error
    return name


def check_concurrency_policy(value: object) -> str:
    if isinstance(value, str) and value in CONCURRENCY_POLICIES:
        return value
    raise InvalidConcurrencyPolicyError(value)


def _check_descriptor(expression: str) -> None:
    if expression in _DESCRIPTORS:
        return
    if not expression.startswith(_EVERY):
        raise InvalidScheduleError(expression, None, f"unknown descriptor {expression!r}")
    nanoseconds = _go_duration_ns(expression[len(_EVERY) :])
    if nanoseconds is None:
        raise InvalidScheduleError(
            expression, None, "@every takes a Go duration such as 1h30m, 90m or 45s"
        )
    if not 0 < nanoseconds <= _MAX_DURATION_NS:
        raise InvalidScheduleError(
            expression, None, "the interval of @every must be positive and under 292 years"
        )


def _go_duration_ns(text: str) -> int | None:
    """The duration in nanoseconds as Go's time.ParseDuration reads
    ``text``, or None where Go reports an error."""
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in ("-", "+") else text
    if not body:
        return None
    if body == "0":
        return 0
    total = Fraction(0)
    position = 0
    while position < len(body):
        part = _DURATION_PART.match(body, position)
        assert part is not None  # every group of the pattern may be empty
        whole, fraction, unit = part.groups()
        if not (whole or fraction) or unit not in _DURATION_UNITS_NS:
            return None
        total += Fraction(f"{whole or 0}.{fraction or 0}") * _DURATION_UNITS_NS[unit]
        position = part.end()
    return sign * int(total)


def _check_field(expression: str, spec: _Field, text: str) -> None:
    for item in text.split(","):
        problem = _item_problem(item, spec)
        if problem:
            raise InvalidScheduleError(expression, spec.name, f"{text!r}: {problem}")


def _item_problem(item: str, spec: _Field) -> str | None:
    """What is wrong with one item of a list: ``*``, ``?``, ``a``, ``a-b``,
    each optionally ``/step`` (``a/step`` means a to the maximum)."""
    if not item:
        return "empty item in the list"
    span, slash, step_text = item.partition("/")
    if slash:
        problem = _step_problem(step_text)
        if problem:
            return problem
    if span in ("*", "?"):
        return None
    low_text, dash, high_text = span.partition("-")
    if "-" in high_text:
        return f"too many hyphens in {item!r}"
    low = _value(low_text, spec)
    if low is None:
        return _not_a_value(low_text, spec)
    if not dash:
        return _bounds_problem(low, spec.maximum if slash else low, spec)
    high = _value(high_text, spec)
    if high is None:
        return _not_a_value(high_text, spec)
    return _bounds_problem(low, high, spec)


def _step_problem(text: str) -> str | None:
    if "/" in text:
        return "too many slashes"
    if not _NUMBER.fullmatch(text):
        return f"step {text!r} is not a number"
    if int(text) == 0:
        return "a step must be positive"
    return None


def _value(text: str, spec: _Field) -> int | None:
    if _NUMBER.fullmatch(text):
        return int(text)
    return spec.names.get(text.lower())


def _not_a_value(text: str, spec: _Field) -> str:
    if not text:
        return "a number is missing"
    kinds = f"a number or a {spec.name_kind}" if spec.name_kind else "a number"
    return f"{text!r} is not {kinds}"


def _bounds_problem(low: int, high: int, spec: _Field) -> str | None:
    if low < spec.minimum:
        return f"{low} is below the minimum {spec.minimum}"
    if high > spec.maximum:
        return f"{high} is above the maximum {spec.maximum}{spec.range_note}"
    if low > high:
        return f"the range starts at {low}, after its end {high}"
    return None
