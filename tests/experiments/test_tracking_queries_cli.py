"""`repro runs list` filters, `repro runs compare` and `repro metrics
show|plot` over real runs of the flow project (and of a second pipeline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pipeline_testing import OTHER, Result, cli, commit_all, make_flow_project, run_json
from repro_testing import git

# The runs the module reads are made once, by four real `repro run`s (~6 s).
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class History:
    """Runs made once for the module's tests, which only read them:
    base (factor 3), tagged (factor 4, --tag team=ml) on the first commit;
    changed (factor 5, new data) and other (the other pipeline) on the second."""

    root: Path
    first_commit: str
    second_commit: str
    base: str
    tagged: str
    changed: str
    other: str


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    root = tmp_path_factory.mktemp("tracked")
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root, commit=False)
    (root / "other.py").write_text(OTHER)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'other = "other.py:other"\n')
    first_commit = commit_all(root, "two pipelines")
    base = run_json(root, "flow")["run"]
    tagged = run_json(root, "flow", "-p", "factor=4", "--tag", "team=ml")["run"]
    (root / "data/rows.csv").write_text("value\n1\n2\n3\n4\n5\n")
    second_commit = commit_all(root, "more data")
    changed = run_json(root, "flow", "-p", "factor=5")["run"]
    other = run_json(root, "other")["run"]
    return History(root, first_commit, second_commit, base, tagged, changed, other)


def _listed(history: History, *args: str) -> list[str]:
    result = cli(history.root, "runs", "list", "--json", *args)
    assert result.code == 0, result
    return [row["id"] for row in result.json()]


def _one_line_error(result: Result, code: int) -> str:
    assert result.code == code, result
    assert "Traceback" not in result.err
    [line] = result.err.strip().splitlines()
    return line


def test_runs_list_without_filters_lists_every_run(history: History) -> None:
    expected = [history.base, history.tagged, history.changed, history.other]
    assert _listed(history) == expected


def test_runs_list_by_tag(history: History) -> None:
    assert _listed(history, "--tag", "team=ml") == [history.tagged]


def test_runs_list_rows_carry_the_run_tags(history: History) -> None:
    rows = cli(history.root, "runs", "list", "--json", "--tag", "team=ml").json()
    assert rows[0]["tags"] == {"team": "ml"}
    text = cli(history.root, "runs", "list", "--tag", "team=ml").out
    assert history.tagged in text and "team=ml" in text


def test_runs_list_by_metric_threshold(history: History) -> None:
    # totals: base 30, tagged 40, changed 75
    assert _listed(history, "--metric", "total>35") == [history.tagged, history.changed]
    assert _listed(history, "--metric", "total.total<=40", "--metric", "total!=30") == [
        history.tagged
    ]


def test_runs_list_by_commit_prefix(history: History) -> None:
    assert _listed(history, "--commit", history.second_commit[:8]) == [
        history.changed,
        history.other,
    ]


def test_runs_list_by_status_and_pipeline(history: History) -> None:
    assert _listed(history, "--status", "succeeded", "--pipeline", "other") == [history.other]
    assert _listed(history, "--status", "failed") == []


def test_runs_list_with_a_metric_compared_with_a_word_fails_in_one_line(
    history: History,
) -> None:
    result = cli(history.root, "runs", "list", "--metric", "total>=abc")
    line = _one_line_error(result, 2)
    assert line == (
        "error: metric 'total>=abc': 'abc' is not a number; compare the metric with one "
        "(e.g. rmse<0.5)"
    )


def test_runs_compare_explains_a_step_that_differs_by_params_and_data(history: History) -> None:
    result = cli(history.root, "runs", "compare", history.base, history.changed, "--json")
    assert result.code == 0, result
    steps = {step["step"]: step["differences"][0] for step in result.json()["steps"]}
    assert steps["transform"]["components"] == ["data", "params"]
    assert steps["transform"]["reasons"] == [
        "input 'values' changed (output 'output' of step 'load')",
        "param factor: 3 -> 5",
    ]
    assert steps["load"]["reasons"] == ["input 'path' changed (data data/rows.csv)"]
    assert steps["describe"]["components"] == ["data"]


def test_runs_compare_shows_params_metrics_pins_and_outputs(history: History) -> None:
    doc = cli(history.root, "runs", "compare", history.base, history.changed, "--json").json()
    assert {"key": "factor", "values": [3, 5], "same": False} in doc["params"]
    assert {"key": "total.total", "values": [30.0, 75.0], "same": False} in doc["metrics"]
    pins = {row["key"]: row for row in doc["pins"]}
    assert pins["commit"]["values"] == [history.first_commit, history.second_commit]
    assert not pins["data.data/rows.csv"]["same"] and pins["environment"]["same"]
    outputs = {row["key"]: row["same"] for row in doc["outputs"]}
    assert outputs == {
        "load.output": False,
        "transform.output": False,
        "total.output": False,
        "describe.output": False,
    }


def test_runs_compare_of_three_runs_explains_each_against_the_first(history: History) -> None:
    runs = (history.base, history.tagged, history.changed)
    doc = cli(history.root, "runs", "compare", *runs, "--json").json()
    transform = next(step for step in doc["steps"] if step["step"] == "transform")
    assert [d["run"] for d in transform["differences"]] == [history.tagged, history.changed]
    assert transform["differences"][0]["reasons"] == ["param factor: 3 -> 4"]
    load = next(step for step in doc["steps"] if step["step"] == "load")
    assert load["statuses"] == ["executed", "cached", "executed"]


def test_runs_compare_prints_a_table_and_the_reasons(history: History) -> None:
    result = cli(history.root, "runs", "compare", history.base[:10], history.tagged)
    assert result.code == 0, result
    factor = next(line for line in result.out.splitlines() if " factor " in line)
    assert factor.split() == ["*", "factor", "3", "4"]
    assert "param factor: 3 -> 4" in result.out
    assert f"why each step's cache key differs from run {history.base}" in result.out


def test_runs_compare_of_two_pipelines_states_it(history: History) -> None:
    result = cli(history.root, "runs", "compare", history.base, history.other, "--json")
    assert result.code == 0, result
    doc = result.json()
    assert doc["note"] == "runs of different pipelines: flow, other"
    assert doc["steps"] == [] and doc["params"] == []
    assert [row["key"] for row in doc["pins"]] == ["commit", "branch", "dirty", "environment"]
    text = cli(history.root, "runs", "compare", history.base, history.other).out
    assert text.startswith("note: runs of different pipelines: flow, other")


def test_runs_compare_of_one_run_is_a_usage_error(history: History) -> None:
    line = _one_line_error(cli(history.root, "runs", "compare", history.base), 2)
    assert line == f"error: cannot compare {history.base}: give two runs or more"


def test_runs_compare_of_an_unknown_run_names_it(history: History) -> None:
    line = _one_line_error(cli(history.root, "runs", "compare", history.base, "zzzz"), 1)
    assert "no run matches 'zzzz'" in line


def test_metrics_show_defaults_to_the_latest_run_of_each_pipeline(history: History) -> None:
    doc = cli(history.root, "metrics", "show", "--json").json()
    assert [(t["pipeline"], t["run"]) for t in doc] == [
        ("flow", history.changed),
        ("other", history.other),
    ]
    assert doc[0]["metrics"] == [{"step": "total", "metric": "total", "value": 75.0}]
    assert doc[1]["metrics"] == []


def test_metrics_show_of_one_run(history: History) -> None:
    doc = cli(history.root, "metrics", "show", history.tagged, "--json").json()
    assert doc["run"] == history.tagged and doc["metrics"][0]["value"] == 40.0
    text = cli(history.root, "metrics", "show", history.tagged).out.splitlines()
    assert text[0].startswith(f"flow  run {history.tagged}")
    assert text[1].split() == ["total.total", "40"]


def test_metrics_plot_writes_a_png(history: History, tmp_path: Path) -> None:
    chart = tmp_path / "total.png"
    result = cli(history.root, "metrics", "plot", "total", "-o", str(chart))
    assert result.code == 0, result
    assert result.out == f"wrote {chart}: total in 3 runs\n"
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_metrics_plot_by_commit_writes_html_of_each_commits_latest_run(
    history: History, tmp_path: Path
) -> None:
    chart = tmp_path / "total.html"
    args = ("metrics", "plot", "total", "-o", str(chart), "--by", "commit", "--pipeline", "flow")
    assert cli(history.root, *args).code == 0
    page = chart.read_text()
    assert "<title>total by commit</title>" in page and "<svg" in page
    assert f"<td>{history.tagged}</td>" in page and f"<td>{history.changed}</td>" in page
    assert f"<td>{history.base}</td>" not in page  # an earlier run of the first commit
    assert "<td>40</td>" in page and "<td>75</td>" in page


def test_metrics_plot_of_a_metric_no_run_has_names_those_recorded(
    history: History, tmp_path: Path
) -> None:
    result = cli(history.root, "metrics", "plot", "rmse", "-o", str(tmp_path / "r.png"))
    line = _one_line_error(result, 1)
    assert line == "error: no run has a metric 'rmse'; metrics recorded: total"
    assert list(tmp_path.iterdir()) == []


def test_metrics_plot_to_an_unknown_suffix_is_a_usage_error(
    history: History, tmp_path: Path
) -> None:
    result = cli(history.root, "metrics", "plot", "total", "-o", str(tmp_path / "total.svg"))
    line = _one_line_error(result, 2)
    assert "unknown suffix '.svg'; name a .png or .html file" in line


def test_metrics_plot_by_an_unknown_axis_is_a_usage_error(history: History) -> None:
    result = cli(history.root, "metrics", "plot", "total", "--by", "week")
    assert _one_line_error(result, 2) == "error: by 'week': expected one of run, commit"
