"""The commands that take object ids (``repro diff``, ``repro checkout``)
take the 12-digit ids ``repro runs show`` prints, as git takes abbreviated
hashes; a prefix that names no object, or several, is a one-line error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pipeline_testing import cli, commit_all, dedent, run_json

REPORT = dedent(
    """
    from pathlib import Path

    from repro import pipeline, step


    @step
    def report(factor: int) -> Path:
        folder = Path("report")
        folder.mkdir(exist_ok=True)
        (folder / "summary.txt").write_text(f"factor {factor}\\n")
        (folder / "notes.txt").write_text("unchanged\\n")
        return folder


    @pipeline
    def p(factor: int = 2) -> None:
        report(factor)
    """
)


@pytest.fixture
def two_reports(git_repo: Path) -> tuple[str, str]:
    """The short output ids that ``repro runs show`` printed for two runs
    whose folder outputs differ in one file."""
    (git_repo / "p.py").write_text(REPORT)
    (git_repo / ".gitignore").write_text("report/\n")
    assert cli(git_repo, "init").code == 0
    commit_all(git_repo, "project")
    shown = []
    for factor in ("2", "3"):
        run = run_json(git_repo, "p.py:p", "-p", f"factor={factor}")["run"]
        text = cli(git_repo, "runs", "show", run).out
        found = re.search(r"report\s+output=([0-9a-f]+)", text)
        assert found is not None, text
        shown.append(found.group(1))
    assert [len(oid) for oid in shown] == [12, 12]
    return shown[0], shown[1]


def test_diff_takes_the_short_ids_runs_show_prints(
    git_repo: Path, two_reports: tuple[str, str]
) -> None:
    done = cli(git_repo, "diff", *two_reports)
    assert done.code == 0, done
    assert done.out.splitlines() == ["M summary.txt", "0 added, 0 removed, 1 changed, 1 unchanged"]


def test_checkout_takes_a_short_id(
    git_repo: Path, tmp_path: Path, two_reports: tuple[str, str]
) -> None:
    done = cli(git_repo, "checkout", two_reports[1][:6], str(tmp_path / "out"))
    assert done.code == 0, done
    assert (tmp_path / "out" / "summary.txt").read_text() == "factor 3\n"


def test_an_unknown_short_id_is_one_line(git_repo: Path, two_reports: tuple[str, str]) -> None:
    unknown = next(p for p in ("0000", "ffff") if not any(o.startswith(p) for o in two_reports))
    done = cli(git_repo, "diff", two_reports[0], unknown)
    assert done.code == 1
    assert re.fullmatch(
        f"error: no object in the store at .* starting with {unknown} .*\n", done.err
    )


def test_a_short_id_that_is_not_hex_is_refused(
    git_repo: Path, two_reports: tuple[str, str]
) -> None:
    done = cli(git_repo, "checkout", "../../e3f3", str(git_repo / "out"))
    assert done.code == 1
    assert done.err == (
        "error: '../../e3f3' is not a valid xxh3-128 object id, nor a prefix of one: "
        "not hexadecimal\n"
    )
    assert not (git_repo / "out").exists()
