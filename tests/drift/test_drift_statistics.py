"""The statistical detector on known distributions, and PSI on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from repro.drift import StatisticalDetector, detect_drift, population_stability_index


def test_the_same_sample_does_not_drift(reference: pd.DataFrame) -> None:
    report = detect_drift(reference, reference.copy())
    assert not report
    assert [(c.statistic, c.p_value, c.psi) for c in report.columns] == [(0.0, 1.0, 0.0)] * 3


def test_another_sample_of_the_same_distribution_does_not_drift(
    reference: pd.DataFrame, rng: np.random.Generator
) -> None:
    current = pd.DataFrame(
        {
            "x": rng.normal(0.0, 1.0, 400),
            "city": rng.choice(["paris", "rome", "oslo"], 400),
            "flag": rng.choice([True, False], 400),
        }
    )
    report = detect_drift(reference, current)
    assert report.drifted_columns == ()
    assert all(c.p_value is not None and c.p_value > 0.05 for c in report.columns)


def test_a_shifted_mean_drifts_by_kolmogorov_smirnov(
    reference: pd.DataFrame, rng: np.random.Generator
) -> None:
    current = reference.assign(x=rng.normal(1.0, 1.0, 500))
    result = detect_drift(reference, current).column("x")
    assert (result.kind, result.test, result.drifted) == ("numeric", "ks", True)
    assert result.p_value is not None and result.p_value < 1e-10
    assert result.statistic is not None and 0.3 < result.statistic < 0.5


def test_a_new_category_drifts_by_chi_squared(
    reference: pd.DataFrame, rng: np.random.Generator
) -> None:
    current = reference.assign(city=rng.choice(["paris", "rome", "oslo", "berlin"], 500))
    report = detect_drift(reference, current)
    result = report.column("city")
    assert (result.kind, result.test, result.drifted) == ("categorical", "chi2", True)
    assert result.p_value is not None and result.p_value < 1e-10
    assert report.drifted_columns == ("city",)


def test_psi_of_numeric_bins_matches_the_hand_computed_value() -> None:
    # Cut at the reference's median, 2: shares (1/2, 1/2) against (3/4, 1/4), so
    # PSI = (3/4 - 1/2) ln(3/2) + (1/4 - 1/2) ln(1/2) = ln(3) / 4.
    reference = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    current = pd.DataFrame({"x": [1.0, 1.0, 1.0, 3.0]})
    result = detect_drift(reference, current, detector=StatisticalDetector(bins=2)).column("x")
    assert result.psi == pytest.approx(math.log(3) / 4, rel=1e-12)


def test_psi_of_categories_matches_the_hand_computed_value() -> None:
    reference = pd.DataFrame({"c": ["a", "a", "b", "b"]})
    current = pd.DataFrame({"c": ["b", "a", "a", "a"]})
    assert detect_drift(reference, current).column("c").psi == pytest.approx(math.log(3) / 4)


def test_psi_floors_an_empty_bin_at_epsilon() -> None:
    # Shares (1/2, 1/2, 0->1e-4) against (1/4, 1/4, 1/2):
    # 2 * (1/4) ln 2 + (1/2 - 1e-4) ln(1/2 / 1e-4).
    expected = 0.5 * math.log(2) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert population_stability_index([2, 2, 0], [1, 1, 2]) == pytest.approx(expected)


def test_psi_of_identical_histograms_is_zero() -> None:
    assert population_stability_index([3, 1, 6], [30, 10, 60]) == 0.0


def test_current_values_outside_the_reference_range_fall_in_the_outer_bins() -> None:
    reference = pd.DataFrame({"x": np.arange(100.0)})
    current = pd.DataFrame({"x": np.arange(100.0) + 1000})
    result = detect_drift(reference, current).column("x")
    # All current values in the top bin (1/10 of the reference): 9 bins of
    # (1e-4 - 0.1) ln(1e-3) plus (1 - 0.1) ln(10).
    expected = 9 * (1e-4 - 0.1) * math.log(1e-3) + 0.9 * math.log(10)
    assert result.psi == pytest.approx(expected)


def test_missing_values_are_left_out_of_the_tests() -> None:
    reference = pd.DataFrame({"x": [1.0, None, 2.0, 3.0], "c": ["a", None, "b", "a"]})
    current = pd.DataFrame({"x": [1.0, 2.0, 3.0, None], "c": ["a", "b", "a", "a"]})
    report = detect_drift(reference, current)
    assert [(c.reference_size, c.current_size) for c in report.columns] == [(3, 3), (3, 4)]
    assert report.column("x").p_value == 1.0


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (pd.array([1, None, 3, 2], dtype="Int64"), "numeric"),
        (pd.array([0.5, 1.5, 2.5, 3.5], dtype="float32"), "numeric"),
        (pd.array(["a", "b", None, "a"], dtype="string"), "categorical"),
        (pd.Categorical(["a", "b", "a", "a"], categories=["a", "b", "unused"]), "categorical"),
        ([True, False, True, True], "categorical"),
        (["x", 1, "x", 2], "categorical"),
    ],
)
def test_each_supported_dtype_gets_its_test(values: object, kind: str) -> None:
    frame = pd.DataFrame({"v": values})
    result = detect_drift(frame, frame.copy()).column("v")
    assert (result.kind, result.drifted, result.psi) == (kind, False, 0.0)


def test_columns_limits_the_comparison(reference: pd.DataFrame) -> None:
    report = detect_drift(reference, reference, columns=["flag", "x"])
    assert [c.column for c in report.columns] == ["flag", "x"]


def test_results_are_plain_python_numbers(reference: pd.DataFrame) -> None:
    result = detect_drift(reference, reference).column("x")
    values = (result.statistic, result.p_value, result.psi, result.reference_size)
    assert [type(v) for v in values] == [float, float, float, int]
    assert type(result.drifted) is bool
