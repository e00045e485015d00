"""How sizes, ids and durations read."""

from __future__ import annotations

import pytest

from repro.views.formats import human_duration, human_size, short_oid


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (3 * 1024**3, "3.0 GiB"),
        (2 * 1024**4, "2.0 TiB"),
    ],
)
def test_sizes_read_in_binary_units(count: int, text: str) -> None:
    assert human_size(count) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0.021, "21 ms"), (1.54, "1.5 s"), (125, "2 min 5 s"), (7260, "2 h 1 min")],
)
def test_durations_read_in_the_largest_fitting_unit(seconds: float | None, text: str) -> None:
    assert human_duration(seconds) == text


def test_a_short_oid_is_its_first_twelve_characters() -> None:
    assert short_oid("0123456789abcdef") == "0123456789ab"
    assert short_oid(None) == ""
