"""`repro models list|show|get|promote` through the real command: thin
renderings of repro.models, `--json` on each, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from models_testing import Trained
from pipeline_testing import cli
from repro_testing import git

from repro.project import Project

AUTHOR = {
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.invalid",
    "GIT_AUTHOR_DATE": "2026-02-03T04:05:06+00:00",
}


def test_models_help_lists_the_four_commands(tmp_path: Path) -> None:
    result = cli(tmp_path, "models", "--help")
    assert result.code == 0
    assert all(name in result.out for name in ("list", "show", "get", "promote"))


def test_list_without_versions_says_how_to_make_one(project: Project) -> None:
    result = cli(Path(project.root), "models", "list")
    assert result.code == 0
    assert "no model versions yet: give a pipeline @pipeline(model=Model(name=...))" in result.out


def test_list_shows_each_version_with_its_aliases(trained: Trained) -> None:
    version = trained.version(trained.second_run)
    assert cli(trained.root, "models", "promote", "line", version, "--alias", "staging").code == 0
    lines = cli(trained.root, "models", "list", "line").out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"line             {trained.version(trained.rerun)[:12]}")
    assert lines[0].endswith("(latest)")
    assert f"run {trained.second_run}  fit/output  (staging)" in lines[1]


def test_list_json_gives_every_version(trained: Trained) -> None:
    rows = cli(trained.root, "models", "list", "--json").json()
    assert [(row["name"], row["version"], row["latest"]) for row in rows] == [
        ("bundle", trained.version(trained.bundle_run), True),
        ("line", trained.version(trained.rerun), True),
        ("line", trained.version(trained.second_run), False),
    ]


def test_show_gives_the_lineage_and_the_promotion_history(trained: Trained) -> None:
    version = trained.version(trained.second_run)
    promoted = cli(
        trained.root,
        "models",
        "promote",
        "line",
        version,
        "-a",
        "production",
        "--commit",
        env=AUTHOR,
    )
    assert promoted.code == 0, promoted.err
    out = cli(trained.root, "models", "show", "line@production").out
    assert f"model line version {version} (production)" in out
    assert f"run      {trained.second_run} (train, train.py:train) on local" in out
    assert f"commit   {trained.commit} on main" in out
    assert "data     data/points.csv " in out
    assert "metrics  fit: slope=3" in out
    assert "2026-02-03T04:05:06+00:00" in out and "Ada <ada@example.invalid>" in out
    assert f"production: none -> {version[:12]}" in out


def test_show_json_holds_the_whole_lineage(trained: Trained) -> None:
    doc = cli(trained.root, "models", "show", "line", "--json").json()
    assert doc["version"] == trained.version(trained.rerun)
    assert (doc["run"], doc["commit"], doc["step"], doc["output"]) == (
        trained.first_run,
        trained.commit,
        "fit",
        "output",
    )
    assert doc["params"] == {"data": "data/points.csv", "scale": 2}
    assert doc["metrics"] == {"fit": {"slope": 2.0}}
    assert (doc["latest"], doc["aliases"], doc["history"]) == (True, {}, [])


def test_get_writes_the_model_to_the_path(trained: Trained, tmp_path: Path) -> None:
    target = tmp_path / "line.skops"
    result = cli(trained.root, "models", "get", "line", "-o", str(target))
    assert result.code == 0, result.err
    assert "model line version" in result.out and "written to" in result.out
    assert target.read_bytes().startswith(b"PK")


def test_promote_commit_records_the_author_in_git(trained: Trained) -> None:
    version = trained.version(trained.rerun)
    result = cli(
        trained.root, "models", "promote", "line", version[:10], "--alias", "production",
        "--commit", env=AUTHOR,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "committed" in result.out
    logged = git(trained.root, "log", "-1", "--format=%an|%aI|%s")
    assert (
        logged.strip()
        == f"Ada|2026-02-03T04:05:06+00:00|models: promote line {version} to production"
    )


def test_promote_without_commit_says_to_commit_or_review(trained: Trained) -> None:
    result = cli(trained.root, "models", "promote", "line", "latest", "--alias", "production")
    assert "commit models.yaml (or open a pull request)" in result.out


def test_force_moves_an_alias_and_says_where_it_was(trained: Trained) -> None:
    first, second = trained.version(trained.first_run), trained.version(trained.second_run)
    assert cli(trained.root, "models", "promote", "line", first, "-a", "production").code == 0
    moved = cli(trained.root, "models", "promote", "line", second, "-a", "production", "--force")
    assert f"(was {first[:12]})" in moved.out


BAD_FILE = "models:\n  line: [\n"


@pytest.mark.parametrize(
    ("args", "models_file", "code", "message"),
    [
        (("show", "nope"), None, 1, "no model named 'nope' (models: bundle, line"),
        (("show", "line@ffff0"), None, 1, "model 'line' has no version or alias 'ffff0'"),
        (("get", "line@production"), None, 1, "no version or alias 'production'"),
        (("promote", "line", "ffff0", "-a", "prod"), None, 1, "has no version or alias 'ffff0'"),
        (("promote", "line", "latest", "-a", "latest"), None, 2, "invalid alias 'latest'"),
        (("show", "line"), BAD_FILE, 1, "models.yaml is not a valid models file: line 3"),
        (("list",), "schema: repro.models/v9\n", 1, "upgrade repro"),
    ],
)
def test_errors_are_one_line(
    trained: Trained, args: tuple[str, ...], models_file: str | None, code: int, message: str
) -> None:
    if models_file is not None:
        (trained.root / "models.yaml").write_text(models_file)
    result = cli(trained.root, "models", *args)
    assert result.code == code
    assert result.err.startswith("error: ") and result.err.count("\n") == 1
    assert message in result.err


def test_an_alias_pointing_elsewhere_is_a_one_line_error(trained: Trained) -> None:
    first, second = trained.version(trained.first_run), trained.version(trained.second_run)
    assert cli(trained.root, "models", "promote", "line", first, "-a", "production").code == 0
    result = cli(trained.root, "models", "promote", "line", second, "-a", "production")
    assert result.code == 1
    assert result.err == (
        f"error: alias 'production' of model 'line' already points to version {first[:12]}; "
        f"pass --force to move it to {second[:12]}\n"
    )
