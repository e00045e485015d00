"""The statistical tests, one column at a time (numpy and scipy imported
when a column is compared).

Population stability index, over bins ``i`` of the reference and the
current values::

    PSI = sum_i (c_i - r_i) * ln(c_i / r_i)

where ``r_i`` and ``c_i`` are the shares of the reference and the current
values that fall in bin ``i``, each raised to at least ``PSI_EPSILON``
(1e-4) so that an empty bin gives a large but finite term instead of a
division by zero; the shares are not renormalized after that. Numeric
bins are cut at the reference's quantiles ``k/B`` (k = 1 .. B-1; the
"inverted CDF" quantile, a value the reference holds; repeated cut points
merge), right-closed, and the outer ones are open-ended, so each holds
about ``1/B`` of the reference and every current value falls in one. A
categorical column's bins are its categories (the union of both frames').
The sum is exact (``math.fsum``), so the same values give the same PSI
bits in every process. Common reading: below 0.1 stable, 0.1-0.2 a
moderate shift, above 0.2 a significant one.

Numeric columns also get the two-sample Kolmogorov-Smirnov test
(``scipy.stats.ks_2samp``); categorical ones the chi-squared test of
homogeneity on the 2 x k table of category counts
(``scipy.stats.chi2_contingency``, with scipy's Yates correction when there
are exactly two categories).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from repro.drift.errors import DriftDependencyError, UnsupportedColumnError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "PSI_EPSILON",
    "TestResult",
    "compare_categorical",
    "compare_numeric",
    "population_stability_index",
    "quantile_cuts",
]

PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class TestResult:
    test: str  # "ks" or "chi2"
    statistic: float
    p_value: float
    psi: float


def population_stability_index(
    reference_counts: Sequence[float], current_counts: Sequence[float]
) -> float:
    """PSI of two histograms over the same bins (counts or shares)."""
    reference_total, current_total = math.fsum(reference_counts), math.fsum(current_counts)
    terms = []
    for reference, current in zip(reference_counts, current_counts, strict=True):
        r = max(reference / reference_total, PSI_EPSILON)
        c = max(current / current_total, PSI_EPSILON)
        terms.append((c - r) * math.log(c / r))
    return math.fsum(terms)


def quantile_cuts(reference: np.ndarray, bins: int) -> np.ndarray:
    """The distinct cut points between ``bins`` equal-frequency bins of ``reference``."""
    import numpy as np

    levels = np.arange(1, bins) / bins
    return np.unique(np.quantile(reference, levels, method="inverted_cdf"))


def compare_numeric(reference: pd.Series, current: pd.Series, bins: int) -> TestResult:
    import numpy as np

    ref = reference.to_numpy(dtype="float64")
    cur = current.to_numpy(dtype="float64")
    result = _scipy_stats().ks_2samp(ref, cur)
    cuts = quantile_cuts(ref, bins)
    ref_counts = np.bincount(np.searchsorted(cuts, ref, side="left"), minlength=len(cuts) + 1)
    cur_counts = np.bincount(np.searchsorted(cuts, cur, side="left"), minlength=len(cuts) + 1)
    psi = population_stability_index(ref_counts.tolist(), cur_counts.tolist())
    return TestResult("ks", float(result.statistic), float(result.pvalue), psi)


def compare_categorical(reference: pd.Series, current: pd.Series) -> TestResult:
    import numpy as np

    ref_counts, cur_counts = _counts(reference), _counts(current)
    categories = sorted(ref_counts.keys() | cur_counts.keys(), key=_category_order)
    ref_row = [ref_counts.get(category, 0) for category in categories]
    cur_row = [cur_counts.get(category, 0) for category in categories]
    result = _scipy_stats().chi2_contingency(np.array([ref_row, cur_row]))
    psi = population_stability_index(ref_row, cur_row)
    return TestResult("chi2", float(result.statistic), float(result.pvalue), psi)


def _counts(values: pd.Series) -> dict[Any, int]:
    try:
        counts = values.value_counts(sort=False)
        return {category: int(count) for category, count in counts.items() if count > 0}
    except TypeError as exc:  # lists or dicts as values
        reason = f"its values cannot be counted ({exc})"
        raise UnsupportedColumnError(str(values.name), reason) from exc


def _category_order(category: Any) -> tuple[str, str]:
    # A fixed order of the table's columns, whatever order the values came in.
    return type(category).__name__, str(category)


def _scipy_stats() -> Any:
    try:
        from scipy import stats
    except ModuleNotFoundError as exc:
        raise DriftDependencyError("scipy") from exc
    return stats
