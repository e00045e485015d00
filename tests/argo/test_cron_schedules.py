"""Schedules, time zones and concurrency policies of a CronWorkflow, checked
as Argo (robfig/cron v3's standard parser, Go's time zones) takes them."""

from __future__ import annotations

import pytest

from repro.argo.cron import (
    InvalidConcurrencyPolicyError,
    InvalidScheduleError,
    UnknownTimezoneError,
    check_concurrency_policy,
    check_schedule,
    check_timezone,
)
from repro.errors import UsageError


@pytest.mark.parametrize(
    "expression",
    [
        "0 3 * * *",
        "*/15 * * * *",  # step of every value
        "0 9-17 * * 1-5",  # ranges
        "0 8-18/2 * * *",  # step of a range
        "5/20 * * * *",  # a/step: from a to the maximum
        "0 0 1,15 * *",  # list
        "0 0 ? * MON",  # ? in day-of-month
        "0 0 1 * ?",  # ? in day-of-week
        "0 0 1 jan,Jul *",  # month names, any case
        "0 0 * * SUN-sat",  # day names in a range, any case
        "0 0 * FEB-DEC/2 *",
        "59 23 31 12 6",  # every maximum
        "0 0 1 1 0",  # every minimum
        "+5 * * * *",  # Go's Atoi takes a sign
        "  0   3 * * *  ",  # whitespace between and around fields
    ],
)
def test_a_valid_schedule_is_returned_unchanged(expression: str) -> None:
    assert check_schedule(expression) == expression


@pytest.mark.parametrize(
    "descriptor",
    ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"],
)
def test_descriptors_are_valid(descriptor: str) -> None:
    assert check_schedule(descriptor) == descriptor


@pytest.mark.parametrize(
    "expression", ["@every 1h30m", "@every 90s", "@every 1.5h", "@every 500ms", "@every .5m"]
)
def test_every_takes_a_go_duration(expression: str) -> None:
    assert check_schedule(expression) == expression


@pytest.mark.parametrize(
    ("expression", "match"),
    [
        ("", r"the schedule is empty"),
        ("0 3 * *", r"expected 5 fields, found 4"),
        ("0 0 3 * * *", r"expected 5 fields, found 6"),  # no seconds field in Argo
        ("60 * * * *", r"minute field: '60': 60 is above the maximum 59"),
        ("0 24 * * *", r"hour field: '24': 24 is above the maximum 23"),
        ("0 0 0 * *", r"day-of-month field: '0': 0 is below the minimum 1"),
        ("0 0 32 * *", r"day-of-month field: '32': 32 is above the maximum 31"),
        ("0 0 1 13 *", r"month field: '13': 13 is above the maximum 12"),
        ("0 0 * * 7", r"day-of-week field: '7': 7 is above the maximum 6 \(Sunday is 0\)"),
        ("0 17-9 * * *", r"hour field: '17-9': the range starts at 17, after its end 9"),
        ("*/0 * * * *", r"minute field: '\*/0': a step must be positive"),
        ("*/x * * * *", r"minute field: '\*/x': step 'x' is not a number"),
        ("1/2/3 * * * *", r"minute field: '1/2/3': too many slashes"),
        ("1-2-3 * * * *", r"minute field: '1-2-3': too many hyphens"),
        ("1,,2 * * * *", r"minute field: '1,,2': empty item in the list"),
        ("*-5 * * * *", r"minute field: '\*-5': '\*' is not a number"),
        ("x * * * *", r"minute field: 'x': 'x' is not a number"),
        ("-5 * * * *", r"minute field: '-5': a number is missing"),
        ("5- * * * *", r"minute field: '5-': a number is missing"),
        ("0 0 * * FOO", r"day-of-week field: 'FOO': 'FOO' is not a number or a day name"),
        ("0 0 * MON *", r"month field: 'MON': 'MON' is not a number or a month name"),
        ("0 0 JAN * *", r"day-of-month field: 'JAN': 'JAN' is not a number;"),
        ("0 0 * * MON-FOO", r"day-of-week field: 'MON-FOO': 'FOO' is not a number or a day"),
        ("@every", r"unknown descriptor '@every'"),
        ("@reboot", r"unknown descriptor '@reboot'"),
        ("@Daily", r"unknown descriptor '@Daily'"),  # descriptors are case-sensitive
        ("@daily ", r"unknown descriptor"),
        ("@every 1x", r"@every takes a Go duration"),
        ("@every 1h 30m", r"@every takes a Go duration"),
        ("@every 90", r"@every takes a Go duration"),  # a unit is required
        ("@every .h", r"@every takes a Go duration"),
        ("@every 0", r"interval of @every must be positive"),
        ("@every -1h", r"interval of @every must be positive"),
        ("@every 3000000h", r"under 292 years"),
        ("TZ=UTC 0 3 * * *", r"TZ=/CRON_TZ= prefix is not allowed: set `timezone` under"),
        ("CRON_TZ=Europe/Paris 0 3 * * *", r"TZ=/CRON_TZ= prefix is not allowed"),
    ],
)
def test_an_invalid_schedule_names_its_fault(expression: str, match: str) -> None:
    with pytest.raises(InvalidScheduleError, match=match):
        check_schedule(expression)


def test_a_schedule_error_names_the_expression_and_how_to_write_one() -> None:
    with pytest.raises(InvalidScheduleError, match=r"'0 0 \* \* 7'.*e\.g\. '0 3 \* \* \*'") as info:
        check_schedule("0 0 * * 7")
    assert (info.value.expression, info.value.field) == ("0 0 * * 7", "day-of-week")


def test_a_schedule_error_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="invalid cron schedule"):
        check_schedule("61 * * * *")


@pytest.mark.parametrize("name", ["Europe/Paris", "UTC", "America/Argentina/Buenos_Aires"])
def test_an_iana_time_zone_is_valid(name: str) -> None:
    assert check_timezone(name) == name


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "europe/paris", "Europe", "", "/etc/localtime", "../UTC", "Local"]
)
def test_an_unknown_time_zone_is_refused(name: str) -> None:
    with pytest.raises(UnknownTimezoneError, match=r"unknown time zone .* such as 'Europe/Paris'"):
        check_timezone(name)


@pytest.mark.parametrize("policy", ["Allow", "Forbid", "Replace"])
def test_argos_concurrency_policies_are_valid(policy: str) -> None:
    assert check_concurrency_policy(policy) == policy


@pytest.mark.parametrize("policy", ["forbid", "Skip", "", None, 1])
def test_another_concurrency_policy_is_refused(policy: object) -> None:
    with pytest.raises(InvalidConcurrencyPolicyError, match=r"use one of Allow, Forbid, Replace"):
        check_concurrency_policy(policy)
