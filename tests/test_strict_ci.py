"""The strict_ci plugin: under CI=true a skip is a failure that names its
reason; elsewhere it stays a skip; an xfail stays an xfail in both."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SUITE = """
import pytest

def test_needs_a_service():
    pytest.skip("no frobnicator on 127.0.0.1:9; start it")

@pytest.mark.skipif(True, reason="marked away")
def test_marked():
    pass

@pytest.mark.xfail(reason="known bug", strict=True)
def test_known_bug():
    assert False

def test_runs():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    return pytester


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_in_ci_a_skip_fails_and_names_its_reason(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    result = suite.runpytest("-p", "strict_ci", "-rfE")
    # A skip in a fixture or a skipif mark happens at set-up: an error.
    result.assert_outcomes(passed=1, failed=1, errors=1, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*test_needs_a_service*skipped in CI, where every test must run: "
            "no frobnicator on 127.0.0.1:9; start it*",
            "*test_marked*skipped in CI, where every test must run: marked away*",
        ]
    )


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_outside_ci_a_skip_stays_a_skip(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    result = suite.runpytest("-p", "strict_ci")
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
