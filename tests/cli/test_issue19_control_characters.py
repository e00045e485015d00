"""Issue 19, section 6: a file name holding a newline (or another control
character) never fakes or breaks a line of repro's output. Names are
printed quoted as git quotes them (``"a\\nb"``), messages that quote a name
stay one line.

Through the real ``repro`` command in real Git repositories; the names are
real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_testing import Repro, one_line_error
from repro_testing import write_files

from repro.cli.output import one_line, printable

# A name that, printed raw, would add a line of its own to a listing.
FAKE = "evil\nM forged.csv"
FAKE_SHOWN = '"evil\\nM forged.csv"'
# One that, printed raw, would clear the terminal.
CLEARS = "clear\x1b[2J.csv"
CLEARS_SHOWN = '"clear\\x1b[2J.csv"'


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("data/plain.csv", "data/plain.csv"),
        ("ünïcode.csv", "ünïcode.csv"),  # printable as it is, as git's -c core.quotePath=false
        (FAKE, FAKE_SHOWN),
        (CLEARS, CLEARS_SHOWN),
        ("tab\tcr\r.csv", '"tab\\tcr\\r.csv"'),
        ('say "hi".csv', '"say \\"hi\\".csv"'),  # quoted, so the quotes are escaped
        ("back\\slash", '"back\\\\slash"'),
        ("nel\x85ls\u2028.csv", '"nel\\x85ls\\u2028.csv"'),
        ("bytes\udcff.csv", '"bytes\\udcff.csv"'),  # undecodable: not even printable raw
    ],
)
def test_printable_quotes_names_as_git_does(name: str, shown: str) -> None:
    assert printable(name) == shown
    assert "\n" not in one_line(f"cannot read {name}: denied")


def test_diff_lists_a_name_with_a_newline_on_one_line(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo, {"old/same.csv": b"1", "new/same.csv": b"1", f"new/{FAKE}": b"2"})
    (git_repo / "new" / CLEARS).write_bytes(b"3")
    done = repro("diff", "old", "new")
    assert done.code == 0, done
    assert done.out.splitlines() == [
        f"A {CLEARS_SHOWN}",
        f"A {FAKE_SHOWN}",
        "2 added, 0 removed, 0 changed, 1 unchanged",
    ]


def test_checkout_lists_a_name_with_a_newline_on_one_line(repro: Repro, git_repo: Path) -> None:
    write_files(git_repo, {f"data/{FAKE}": b"1", "data/ok.csv": b"2"})
    tree = repro("snapshot", "data", "--json").json()["tree"]
    done = repro("checkout", tree, "copy")
    assert done.code == 0, done
    assert done.out.splitlines()[:2] == [f"A {FAKE_SHOWN}", "A ok.csv"]
    assert (git_repo / "copy" / FAKE).read_bytes() == b"1"  # the file keeps its real name


def test_an_error_naming_such_a_file_is_one_line(repro: Repro, git_repo: Path) -> None:
    (git_repo / "data").mkdir()
    os.symlink("nowhere", git_repo / "data" / "gone\nerror: forged")
    error = one_line_error(repro("snapshot", "data"))
    assert "gone\\nerror: forged" in error and "symbolic link" in error
