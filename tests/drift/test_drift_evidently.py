"""The Evidently adapter.

Evidently 0.7.23, the newest release, cannot be imported with pandas 3
(``pandas.core.dtypes.common.infer_dtype_from_object`` is gone), and this
project's environment has pandas 3.1; so the mapping is tested on the
dictionary that Evidently's ``DataDriftTable`` returns, copied from a real
run of Evidently 0.7.23 under pandas 2.3.3 (distributions shortened), and
the detector itself on the failure a user of this environment would meet.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pandas as pd
import pytest

from repro.drift import (
    DriftThresholds,
    EvidentlyDetector,
    EvidentlyUnavailableError,
    UnexpectedEvidentlyResultError,
    detect_drift,
)
from repro.drift.evidently_adapter import columns_from_evidently


def _entry(name: str, kind: str, test: str, score: Any, detected: bool) -> dict[str, Any]:
    return {
        "column_name": name,
        "column_type": kind,
        "stattest_name": test,
        "stattest_threshold": 0.05,
        "drift_score": score,
        "drift_detected": detected,
        "current": {"small_distribution": {"x": ["a", "b", "z"], "y": [100, 104, 96]}},
        "reference": {"small_distribution": {"x": ["a", "b", "z"], "y": [148, 152, 0]}},
    }


def _result(*entries: dict[str, Any]) -> dict[str, Any]:
    by_column = {entry["column_name"]: entry for entry in entries}
    drifted = sum(entry["drift_detected"] for entry in entries)
    return {
        "metrics": [
            {
                "metric": "DataDriftTable",
                "result": {
                    "number_of_columns": len(entries),
                    "number_of_drifted_columns": drifted,
                    "share_of_drifted_columns": drifted / len(entries),
                    "dataset_drift": drifted > 0,
                    "drift_by_columns": by_column,
                    "current_fi": None,
                    "reference_fi": None,
                },
            }
        ]
    }


_SMALL = _result(
    _entry("x", "num", "K-S p_value", np.float64(9.644570328302446e-21), True),
    _entry("c", "cat", "chi-square p_value", np.float64(0.0), True),
    _entry("flag", "cat", "Z-test p_value", np.float64(0.9349220648888286), False),
)
_KINDS: dict[str, Any] = {"x": "numeric", "c": "categorical", "flag": "categorical"}
_SIZES = {"x": (300, 290), "c": (300, 300), "flag": (300, 300)}


def test_a_p_value_test_maps_to_the_p_value() -> None:
    x = columns_from_evidently(_SMALL, _KINDS, _SIZES)[0]
    assert (x.column, x.kind, x.test, x.statistic, x.drifted) == (
        "x",
        "numeric",
        "K-S p_value",
        None,
        True,
    )
    assert x.p_value == pytest.approx(9.644570328302446e-21) and type(x.p_value) is float


def test_every_column_keeps_evidentlys_decision_and_repros_sizes() -> None:
    columns = columns_from_evidently(_SMALL, _KINDS, _SIZES)
    assert [(c.column, c.drifted, c.reference_size, c.current_size) for c in columns] == [
        ("x", True, 300, 290),
        ("c", True, 300, 300),
        ("flag", False, 300, 300),
    ]


def test_the_psi_test_maps_to_psi_and_statistic() -> None:
    result = _result(_entry("x", "num", "PSI", np.float64(0.954), True))
    x = columns_from_evidently(result, {"x": "numeric"}, {"x": (10, 10)})[0]
    assert (x.statistic, x.p_value, x.psi) == (0.954, None, 0.954)


def test_a_distance_maps_to_the_statistic() -> None:
    result = _result(_entry("x", "num", "Wasserstein distance (normed)", 0.31, True))
    x = columns_from_evidently(result, {"x": "numeric"}, {"x": (10, 10)})[0]
    assert (x.test, x.statistic, x.p_value, x.psi) == (
        "Wasserstein distance (normed)",
        0.31,
        None,
        None,
    )


def test_a_score_evidently_could_not_compute_is_left_out() -> None:
    result = _result(_entry("x", "num", "K-S p_value", float("nan"), False))
    assert columns_from_evidently(result, {"x": "numeric"}, {"x": (10, 10)})[0].p_value is None


def test_the_mapped_columns_make_a_report_with_repros_verdict() -> None:
    from repro.drift import DriftReport

    columns = tuple(columns_from_evidently(_SMALL, _KINDS, _SIZES))
    report = DriftReport(columns, DriftThresholds(share=0.7), "evidently")
    assert (report.drift, report.drifted_columns) == (False, ("x", "c"))
    assert DriftReport.from_dict(report.to_dict()) == report


def test_a_column_evidently_left_out_is_left_out() -> None:
    kinds: dict[str, Any] = {**_KINDS, "other": "numeric"}
    assert len(columns_from_evidently(_SMALL, kinds, {**_SIZES, "other": (1, 1)})) == 3


def test_a_result_without_a_drift_table_is_refused() -> None:
    with pytest.raises(UnexpectedEvidentlyResultError, match="it has no DataDriftTable metric"):
        columns_from_evidently({"metrics": [{"metric": "Other", "result": {}}]}, _KINDS, _SIZES)


def test_an_entry_without_a_score_is_refused() -> None:
    entry = _entry("x", "num", "K-S p_value", 0.5, False)
    del entry["drift_score"]
    with pytest.raises(UnexpectedEvidentlyResultError, match="column 'x' has no drift_score"):
        columns_from_evidently(_result(entry), {"x": "numeric"}, {"x": (1, 1)})


def test_the_detector_says_what_to_do_when_evidently_cannot_be_imported() -> None:
    assert importlib.util.find_spec("evidently") is None  # see the module docstring
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(EvidentlyUnavailableError, match=r"pip install 'repro-gitops\[drift\]'"):
        detect_drift(frame, frame, detector=EvidentlyDetector())


def test_both_detectors_implement_the_interface() -> None:
    from repro.drift import DriftDetector, StatisticalDetector

    assert isinstance(EvidentlyDetector(), DriftDetector)
    assert isinstance(StatisticalDetector(), DriftDetector)
