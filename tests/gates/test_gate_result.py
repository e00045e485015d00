from __future__ import annotations

import pytest

from repro.gates.result import Finding, GateResult, GateResultError

FINDING = Finding("lock", "repro.lock", "broken", "run `repro run`")


def test_a_finding_is_one_line_of_where_what_and_fix() -> None:
    assert FINDING.line == "repro.lock: broken: run `repro run`"


def test_a_result_passes_without_findings_whatever_its_notes() -> None:
    assert GateResult("lock", notes=("no lock yet",)).passed
    assert not GateResult("lock", (FINDING,)).passed


def test_merged_results_keep_every_finding_and_note() -> None:
    merged = GateResult.merged(
        "lock", [GateResult("lock", (FINDING,)), GateResult("lock", (FINDING,), ("n",))]
    )
    assert merged == GateResult("lock", (FINDING, FINDING), ("n",))


def test_a_result_round_trips_through_its_dict() -> None:
    result = GateResult("lock", (FINDING,), ("a note",))
    assert result.to_dict()["passed"] is False
    assert GateResult.from_dict(result.to_dict()) == result


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ([], "expected an object with 'check'"),
        ({"check": "lock", "findings": {}}, "must be lists"),
        ({"check": "lock", "notes": [1]}, "every note must be a string"),
        ({"check": "lock", "findings": ["x"]}, "a finding must be an object"),
        ({"check": "lock", "findings": [{"check": "lock"}]}, "needs check, where, problem and fix"),
    ],
)
def test_a_malformed_result_is_refused(doc: object, match: str) -> None:
    with pytest.raises(GateResultError, match=match):
        GateResult.from_dict(doc)
