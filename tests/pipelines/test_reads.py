"""recording_reads: every way Python opens a file inside the project is
seen, attributed to the project file whose code opened it; writes, the
never-inputs (.git, .repro, virtualenvs, caches) and files outside the
project are not reads; nothing is recorded outside the block or in another
thread."""

from __future__ import annotations

import importlib
import io
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from repro.reads import is_never_an_input, recording_reads


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "params.yaml").write_text("n: 1\n")
    (project / "sub" / "data.csv").write_text("a\n1\n")
    monkeypatch.chdir(project)
    yield project.resolve()


def test_each_way_of_opening_is_seen(root: Path) -> None:
    with recording_reads(str(root)) as reads:
        with open("params.yaml") as file:
            file.read()
        Path("sub/data.csv").read_text()
        os.close(os.open(root / "params.yaml", os.O_RDONLY))
        io.open_code(str(root / "sub" / "data.csv")).close()
    assert sorted(reads.read) == ["params.yaml", "sub/data.csv"]
    assert reads.written == set()


def test_writes_are_not_reads(root: Path) -> None:
    with recording_reads(str(root)) as reads:
        Path("out.txt").write_text("x")
        with open("params.yaml", "a") as file:
            file.write("m: 2\n")
        os.close(os.open(root / "new.bin", os.O_WRONLY | os.O_CREAT))
        with open("params.yaml", "r+") as file:
            file.read()
    assert reads.read == {}
    assert reads.written == {"out.txt", "params.yaml", "new.bin"}


def test_what_is_never_an_input_is_left_out(root: Path, tmp_path: Path) -> None:
    for folder in (".git", ".repro/tmp", ".venv/lib", "pkg/__pycache__", "v/site-packages"):
        (root / folder).mkdir(parents=True)
        (root / folder / "f").write_text("x")
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    with recording_reads(str(root)) as reads:
        for folder in (".git", ".repro/tmp", ".venv/lib", "pkg/__pycache__", "v/site-packages"):
            (root / folder / "f").read_text()
        outside.read_text()
        Path("../outside.txt").read_text()
    assert reads.read == {}


@pytest.mark.parametrize(
    ("path", "never"),
    [
        (".git/config", True),
        ("a/.repro/x", True),
        (".venv-dvc/lib/x.py", True),
        ("src/__pycache__/m.pyc", True),
        ("lib/site-packages/x", True),
        ("params.yaml", False),
        ("data/.gitkeep", False),
        ("git/notes.txt", False),
    ],
)
def test_the_never_an_input_rules(path: str, never: bool) -> None:
    assert is_never_an_input(path) is never


def test_a_read_is_attributed_to_the_project_module_that_made_it(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "settings.py").write_text(
        "import json\nfrom pathlib import Path\nVALUE = Path('params.yaml').read_text()\n"
    )
    monkeypatch.syspath_prepend(str(root))
    with recording_reads(str(root)) as reads:
        importlib.import_module("settings")
        Path("sub/data.csv").read_text()  # no project frame: this test file is outside
    sys.modules.pop("settings", None)
    assert reads.read["params.yaml"] == {"settings.py"}
    assert reads.read["sub/data.csv"] == {None}
    # The module's own source, opened by the import system, is seen too:
    # the caller leaves out what it fingerprints as code.
    assert "settings.py" in reads.read


def test_threads_started_in_the_block_are_recorded_others_are_not(root: Path) -> None:
    go, done = threading.Event(), threading.Event()

    def elsewhere() -> None:  # started before the block: not the block's
        go.wait()
        Path("params.yaml").read_text()
        done.set()

    bystander = threading.Thread(target=elsewhere)
    bystander.start()
    with recording_reads(str(root)) as reads:
        worker = threading.Thread(target=lambda: Path("sub/data.csv").read_text())
        worker.start()
        worker.join()
        go.set()
        done.wait()
    bystander.join()
    Path("params.yaml").read_text()
    assert sorted(reads.read) == ["sub/data.csv"]


def test_a_thread_that_outlives_the_block_reads_for_no_one(root: Path) -> None:
    go, done = threading.Event(), threading.Event()

    def late() -> None:
        go.wait()
        Path("params.yaml").read_text()
        done.set()

    with recording_reads(str(root)) as reads:
        worker = threading.Thread(target=late)
        worker.start()
    go.set()
    done.wait()
    worker.join()
    assert reads.read == {}


def test_programs_started_in_the_block_are_named(root: Path) -> None:
    import subprocess

    with recording_reads(str(root)) as reads:
        subprocess.run(["true"], check=True)
        os.system("true")
    assert reads.processes == {"true"}


def test_recordings_nest_and_each_sees_its_own(root: Path) -> None:
    with recording_reads(str(root)) as outer:
        Path("params.yaml").read_text()
        with recording_reads(str(root)) as inner:
            Path("sub/data.csv").read_text()
        Path("params.yaml").read_text()
    assert sorted(outer.read) == ["params.yaml"]
    assert sorted(inner.read) == ["sub/data.csv"]


def test_a_failing_open_still_fails_as_it_would(root: Path) -> None:
    with recording_reads(str(root)) as reads, pytest.raises(FileNotFoundError):
        Path("missing.txt").read_text()
    # An attempt to read a missing file is a read: its appearing later matters.
    assert list(reads.read) == ["missing.txt"]


def test_odd_paths_never_break_the_open(root: Path) -> None:
    with recording_reads(str(root)) as reads:
        with open(b"params.yaml", "rb") as file:
            file.read()
        fd = os.open("params.yaml", os.O_RDONLY)
        with open(fd, closefd=True) as file:
            file.read()
    assert sorted(reads.read) == ["params.yaml"]


def test_code_that_is_no_file_is_no_reader(root: Path) -> None:
    with recording_reads(str(root)) as reads:
        exec(compile("open('params.yaml').read()", "<string>", "exec"))
    assert reads.read == {"params.yaml": {None}}
