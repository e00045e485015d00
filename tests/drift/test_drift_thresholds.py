"""DriftThresholds: when a column drifts, when the dataset does, and bad settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repro.drift import (
    DriftThresholds,
    InvalidThresholdsError,
    StatisticalDetector,
    detect_drift,
)


@pytest.fixture
def frames(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Column a shifts strongly, b slightly (p about 0.01, PSI about 0.05), c not at all."""
    base = rng.normal(0.0, 1.0, 2000)
    reference = pd.DataFrame({"a": base, "b": base, "c": base})
    current = pd.DataFrame({"a": base + 1.0, "b": base + 0.09, "c": base})
    return reference, current


def _drifted(frames: tuple[pd.DataFrame, pd.DataFrame], **limits: object) -> tuple[str, ...]:
    return detect_drift(*frames, thresholds=DriftThresholds(**limits)).drifted_columns  # type: ignore[arg-type]


def test_the_defaults(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    report = detect_drift(*frames)
    assert report.thresholds == DriftThresholds(0.05, 0.2, "either", None)
    assert report.drifted_columns == ("a", "b")
    b = report.column("b")
    assert b.p_value is not None and b.p_value < 0.05
    assert b.psi is not None and b.psi < 0.2


def test_a_smaller_alpha_lets_a_slight_shift_pass(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    assert _drifted(frames, alpha=0.001) == ("a",)


def test_a_psi_only_rule_ignores_p_values(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    assert _drifted(frames, column_rule="psi") == ("a",)


def test_a_lower_psi_threshold_catches_the_slight_shift(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    assert _drifted(frames, column_rule="psi", psi=0.01) == ("a", "b")


def test_the_both_rule_needs_both_tests(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    assert _drifted(frames, column_rule="both") == ("a",)


def test_the_p_value_rule_ignores_psi(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    assert _drifted(frames, column_rule="p_value", alpha=0.001) == ("a",)


def test_by_default_one_drifted_column_makes_the_dataset_drift(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    report = detect_drift(*frames, thresholds=DriftThresholds(alpha=0.001))
    assert report.drift is True and bool(report) is True


def test_a_share_needs_that_share_of_columns(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # One column of three drifts.
    limits = DriftThresholds(alpha=0.001, share=0.5)
    assert not detect_drift(*frames, thresholds=limits)
    assert detect_drift(*frames, thresholds=DriftThresholds(alpha=0.001, share=1 / 3))


def test_no_drifted_column_means_no_drift(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, _ = frames
    assert bool(detect_drift(reference, reference)) is False


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"alpha": 0}, r"alpha=0: give a number between 0 and 1"),
        ({"alpha": 1.5}, r"alpha=1.5"),
        ({"alpha": float("nan")}, r"alpha=nan"),
        ({"psi": -0.1}, r"psi=-0.1: give a positive number"),
        ({"psi": "0.2"}, r"psi='0.2'"),
        ({"column_rule": "any"}, r"column_rule='any': give one of either, both, p_value, psi"),
        ({"share": 0}, r"share=0: give a share in \(0, 1\], or None"),
        ({"share": 2}, r"share=2"),
    ],
)
def test_invalid_thresholds_are_refused(limits: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidThresholdsError, match=message):
        DriftThresholds(**limits)  # type: ignore[arg-type]


def test_too_few_bins_are_refused() -> None:
    with pytest.raises(InvalidThresholdsError, match=r"bins=1: give an integer of at least 2"):
        StatisticalDetector(bins=1)
