from __future__ import annotations

from pathlib import Path

import pytest
from cli_testing import one_line_error
from pipeline_testing import cli, edit
from repro_testing import git

from repro.project import Project

STALE = (
    "repro.lock: pipeline 'flow' is stale (step 'transform': code changed (helpers.py)): "
    "run `repro run flow && git add repro.lock`"
)


@pytest.fixture
def stale(flow: Path, this_python: str) -> Path:
    edit(flow / "helpers.py", "value * factor", "value * factor + 0")
    return flow


def _big_csv(root: Path) -> None:
    (root / "big.csv").write_bytes(b"a,b\n" * (1 << 19))
    git(root, "add", "big.csv")


def test_check_lists_its_gates(tmp_path: Path) -> None:
    shown = cli(tmp_path, "check", "--help")
    assert shown.code == 0
    for name in ("lineage", "lock", "large-data", "pinned", "all"):
        assert name in shown.out


def test_a_passing_gate_exits_0_quietly(flow: Path, this_python: str) -> None:
    result = cli(flow, "check", "lineage")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_a_failing_gate_exits_1_with_one_line_per_finding(stale: Path) -> None:
    result = cli(stale, "check", "lineage")
    assert (result.code, result.out, result.err) == (1, STALE + "\n", "")


def test_json_gives_the_findings(stale: Path) -> None:
    result = cli(stale, "check", "lineage", "--json")
    assert result.code == 1
    doc = result.json()
    assert doc["check"] == "lineage" and doc["passed"] is False and doc["notes"] == []
    [finding] = doc["findings"]
    assert finding["where"] == "repro.lock" and finding["fix"].startswith("run `repro run flow")


def test_paths_name_the_projects_to_judge(stale: Path) -> None:
    result = cli(stale.parent, "check", "lineage", "repo")
    assert result.code == 1
    assert result.out.startswith("repo/repro.lock: pipeline 'flow' is stale")


def test_large_data_judges_the_staged_files(project: Project) -> None:
    _big_csv(Path(project.root))
    result = cli(Path(project.root), "check", "large-data")
    assert result.code == 1
    assert result.out.startswith("big.csv: a data file of 2.0 MiB is staged")


def test_max_size_raises_the_limit(project: Project) -> None:
    _big_csv(Path(project.root))
    assert cli(Path(project.root), "check", "large-data", "--max-size", "4MiB").code == 0


def test_a_bad_max_size_is_a_usage_error(project: Project) -> None:
    result = cli(Path(project.root), "check", "large-data", "--max-size", "huge")
    assert result.code == 2
    assert one_line_error(result) == (
        "error: --max-size: 'huge' is not a size: give a number of bytes or a size such as "
        '"5MiB" (K, M, G, KiB, MiB, GiB count in 1024s; KB, MB, GB in 1000s)'
    )


def test_outside_a_repro_project_a_gate_passes_with_a_note(git_repo: Path) -> None:
    result = cli(git_repo, "check", "pinned")
    assert result.code == 0
    assert result.out == (
        f"note: {git_repo}: not in a repro project, nothing to check (`repro init` adopts repro)\n"
    )


def test_all_runs_every_gate_naming_each(stale: Path) -> None:
    result = cli(stale, "check", "all")
    assert result.code == 1
    assert result.out.splitlines() == [
        f"lineage: {STALE}",
        "large-data: note: no staged files",
        "pinned: .: the Python environment has no lock file (uv.lock, pylock.toml, poetry.lock, "
        "or requirements*.txt with hashes): make one: `uv lock`, or "
        "`uv pip compile --generate-hashes -o requirements.txt`",
    ]


def test_all_as_json_gives_every_result_in_order(flow: Path, this_python: str) -> None:
    result = cli(flow, "check", "all", "--json")
    doc = result.json()
    assert [check["check"] for check in doc["checks"]] == [
        "lineage",
        "lock",
        "large-data",
        "pinned",
    ]
    # The flow project has no Python lock file: pinned fails, and so does all.
    assert result.code == 1 and doc["passed"] is False
    assert [check["passed"] for check in doc["checks"]] == [True, True, True, False]


def test_the_quick_path_and_the_full_command_agree(stale: Path, this_python: str) -> None:
    """`check lineage` is answered before typer loads; with an option it is not."""
    quick = cli(stale, "check", "lineage", "--json")
    full = cli(stale, "check", "lineage", "--json", "--python", this_python)
    assert (quick.code, quick.out) == (full.code, full.out)


def test_an_error_in_a_gate_is_one_line(project: Project) -> None:
    Path(project.root, "pyproject.toml").write_text('[tool.repro.gates]\nlarge_file = "big"\n')
    _big_csv(Path(project.root))
    result = cli(Path(project.root), "check", "large-data")
    assert result.code == 2
    assert one_line_error(result).endswith(
        "[tool.repro.gates] large_file: 'big' is not a size: "
        'give a number of bytes or a size such as "5MiB" (K, M, G, KiB, MiB, GiB count in 1024s; '
        "KB, MB, GB in 1000s)"
    )
