"""``repro runs compare`` names the files read without being declared that
differ between runs: the pipeline's import-time inputs (``params.yaml`` read
at module level), per run and per step whose key they are in, and the
inputs a step was seen to open as it ran, in the text and in ``--json``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pipeline_testing import cli, commit_all, dedent, run_json

ML = dedent(
    """
    import json

    import yaml
    from repro import pipeline, step

    P = yaml.safe_load(open("params.yaml"))


    @step
    def scaled() -> int:
        with open("cfg.json") as file:
            return P["n"] * json.load(file)["k"]


    @step
    def constant() -> int:
        return 7


    @pipeline
    def ml() -> None:
        scaled()
        constant()
    """
)


def _run(root: Path, params: str, cfg: str) -> str:
    (root / "params.yaml").write_text(params)
    (root / "cfg.json").write_text(cfg)
    commit_all(root, f"{params} {cfg}")
    run: str = run_json(root, "run.py:ml")["run"]
    return run


@pytest.fixture
def runs(git_repo: Path) -> dict[str, str]:
    """Three runs: ``base``; ``cfg``, where only the file the step opens
    changed; ``params``, where params.yaml (read at import) changed too."""
    (git_repo / "run.py").write_text(ML)
    assert cli(git_repo, "init").code == 0
    return {
        "base": _run(git_repo, "n: 2\n", '{"k": 3}'),
        "cfg": _run(git_repo, "n: 2\n", '{"k": 4}'),
        "params": _run(git_repo, "n: 5\n", '{"k": 4}'),
    }


def _compare(root: Path, *runs: str) -> dict[str, Any]:
    done = cli(root, "runs", "compare", "--json", *runs)
    assert done.code == 0, done
    doc: dict[str, Any] = done.json()
    return doc


def _difference(doc: dict[str, Any], step: str) -> dict[str, Any]:
    found = next(s for s in doc["steps"] if s["step"] == step)
    difference: dict[str, Any] = found["differences"][0]
    return difference


def test_json_names_the_changed_import_time_input(git_repo: Path, runs: dict[str, str]) -> None:
    doc = _compare(git_repo, runs["cfg"], runs["params"])
    assert doc["imports"] == [
        {"run": runs["params"], "reasons": ["import-time input params.yaml changed"]}
    ]
    # A step whose own code reads nothing: its key changed by params.yaml alone.
    assert _difference(doc, "constant") == {
        "run": runs["params"],
        "same": False,
        "components": ["data"],
        "reasons": ["import-time input params.yaml changed"],
    }


def test_json_names_a_changed_discovered_input_under_the_same_key(
    git_repo: Path, runs: dict[str, str]
) -> None:
    doc = _compare(git_repo, runs["base"], runs["cfg"])
    assert doc["imports"] == [{"run": runs["cfg"], "reasons": []}]
    assert _difference(doc, "scaled") == {
        "run": runs["cfg"],
        "same": True,
        "components": [],
        "reasons": [],
        "discovered": ["input cfg.json changed (read by the step, not declared)"],
    }
    assert "discovered" not in _difference(doc, "constant")  # omitted when empty


def test_text_names_import_time_and_discovered_inputs(git_repo: Path, runs: dict[str, str]) -> None:
    done = cli(git_repo, "runs", "compare", runs["base"], runs["params"])
    assert done.code == 0, done
    lines = [line.strip() for line in done.out.splitlines()]
    assert lines[0] == (
        f"run {runs['params']} against {runs['base']}: import-time input params.yaml changed"
    )
    assert "the step's definition changed" not in done.out
    assert "constant   data" in lines
    assert lines.count("import-time input params.yaml changed") == 2  # scaled, constant
    assert "input cfg.json changed (read by the step, not declared)" in lines
