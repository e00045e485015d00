"""The project the model-based test drives, and its oracle.

The project mixes what DESIGN.md's "Soundness: what a cache key must see"
is about: a ``params.yaml`` read at import time feeding a pipeline default
and a shell param, a Python step that reads an undeclared ``cfg.json``, a
shell step running ``python3 src/prepare.py`` which imports
``src/textutil.py`` (found only by tracing) and reads the declared
``data/raw.txt``, a Python step downstream of both that calls a project
helper module, and a shell step downstream of the shell step's out.

Every editable thing has a few variants; an edit replaces a marked line or a
whole file, so it works whatever commit the work tree came from.

The oracle of a work-tree state is ``repro run --no-cache`` of the same files
in a fresh ``git clone`` with a cache of its own (nothing of the project's
``.repro/`` is shared). The pipeline is deterministic, so the oracle is a
function of the files and the command's arguments: it is memoized on them,
per test process.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline_testing import Result, cli, dedent
from repro_testing import git

PIPELINE = dedent(
    """
    import json
    import os
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    import yaml
    from helpers import decorate
    from repro import pipeline, sh, step

    P = yaml.safe_load(open("params.yaml"))
    SUFFIX = "!"  # variant:suffix


    def shout(text: str) -> str:
        return text + SUFFIX


    def extra() -> str:
        try:
            with open("extra.txt") as file:
                return file.read().strip()
        except FileNotFoundError:
            return "-"


    def read(path: str) -> str:
        with open(path) as file:
            return file.read()


    @step
    def configure(scale: int) -> str:
        with open("cfg.json") as file:
            cfg = json.load(file)
        return f"{cfg['mode']}-{scale}"  # variant:configure


    @step
    def combine(tag: str, clean: Path) -> str:
        return decorate(tag + "|" + clean.read_text())  # variant:combine


    @pipeline
    def flow(scale: int = P["scale"]) -> None:
        tag = configure(scale)
        (clean,) = sh(
            "python3 src/prepare.py {width}",
            name="prepare",
            deps=["data/raw.txt"],
            outs=["clean.txt"],
            params={"width": P["width"]},
        )
        combine(tag, clean)
        sh(
            "sort clean.txt > report.txt",  # variant:report
            name="report",
            deps=[clean],
            outs=["report.txt"],
        )
    """
)

PREPARE = dedent(
    """
    import os
    import sys

    sys.path.insert(0, "src")
    import textutil  # noqa: E402


    def stopwords():
        try:
            with open("stopwords.txt") as file:
                return set(file.read().split())
        except FileNotFoundError:
            return set()


    width = int(sys.argv[1])
    stop = stopwords()  # variant:stop
    with open("data/raw.txt") as source, open("clean.txt", "w") as out:
        for line in source:
            word = textutil.clean(line)
            if word.lower() not in stop:
                out.write(word[:width] + "\\n")  # variant:prepare
    """
)

HELPERS = dedent(
    """
    from brackets import CLOSE, OPEN


    def decorate(text: str) -> str:
        return OPEN + text + CLOSE
    """
)

FILES = {
    "pipeline.py": PIPELINE,
    "helpers.py": HELPERS,
    "brackets.py": 'OPEN = "<"\nCLOSE = ">"\n',
    "src/prepare.py": PREPARE,
    "src/textutil.py": "def clean(text):\n    return text.strip().lower()\n",
    "data/raw.txt": "Banana\n apple\nCherry \n",
    "params.yaml": "scale: 2\nwidth: 4\n",
    "cfg.json": '{"mode": "a"}\n',
    "pyproject.toml": '[tool.repro.pipelines]\nflow = "pipeline.py:flow"\n',
    ".gitignore": "clean.txt\nreport.txt\n__pycache__/\n",
}

OUTS = ("clean.txt", "report.txt")

# Edits of a step's code: (file, marker, the marked line's new text). A few
# per place, each changing what the step computes in its own way.
CODE_VARIANTS: list[tuple[str, str, str]] = [
    ("pipeline.py", "variant:configure", "    return f\"{cfg['mode']}-{scale}\""),
    # a value read at import time, used at run time
    ("pipeline.py", "variant:configure", "    return f\"{cfg['mode']}-{scale * P['width']}\""),
    # a function of the module and the constant it uses; an undeclared file
    # that may be absent
    ("pipeline.py", "variant:configure", "    return shout(f\"{cfg['mode']}-{scale}-{extra()}\")"),
    ("pipeline.py", "variant:suffix", 'SUFFIX = "!"'),
    ("pipeline.py", "variant:suffix", 'SUFFIX = "?"'),
    ("pipeline.py", "variant:combine", '    return decorate(tag + "|" + clean.read_text())'),
    ("pipeline.py", "variant:combine", "    return decorate(shout(tag) + clean.read_text())"),
    ("pipeline.py", "variant:report", '            "sort clean.txt > report.txt",'),
    ("pipeline.py", "variant:report", '            "wc -l < clean.txt > report.txt",'),
    ("src/prepare.py", "variant:prepare", '                out.write(word[:width] + "\\n")'),
    ("src/prepare.py", "variant:prepare", '                out.write(word[-width:] + "\\n")'),
]

# Ways of reading that README promises are seen ("files a Python step's code
# opens", "a file looked for and absent is recorded as absent") but that
# this repro misses: a file read in a thread of the step's, a file looked for
# with a stat (os.path.exists, the shell's [ -f ]). Off by default;
# REPRO_MODEL_GAPS=1 adds them (and the way back) to the edits of step code.
GAP_VARIANTS: list[tuple[str, str, str]] = [
    (
        "pipeline.py",
        "variant:configure",
        "    return f\"{cfg['mode']}-{scale}-\" + "
        '"".join(ThreadPoolExecutor(1).map(read, ["data/raw.txt"]))',
    ),
    (
        "pipeline.py",
        "variant:configure",
        "    return f\"{cfg['mode']}-{scale}-\" + "
        '(read("extra.txt") if os.path.exists("extra.txt") else "-")',
    ),
    ("src/prepare.py", "variant:stop", "stop = stopwords()"),
    (
        "src/prepare.py",
        "variant:stop",
        'stop = set(open("stopwords.txt").read().split()) '
        'if os.path.exists("stopwords.txt") else set()',
    ),
    (
        "pipeline.py",
        "variant:report",
        '            "(cat clean.txt; [ -f extra.txt ] && cat extra.txt) | sort > report.txt",',
    ),
]

# Whole-file edits of helper modules: the Python step's and the module it
# imports in turn (fingerprinted as code), the shell step's script's
# (discovered by tracing).
HELPER_VARIANTS: list[tuple[str, str]] = [
    ("helpers.py", HELPERS),
    ("helpers.py", "def decorate(text: str) -> str:\n    return text.upper()\n"),
    ("brackets.py", 'OPEN = "<"\nCLOSE = ">"\n'),
    ("brackets.py", 'OPEN = "["\nCLOSE = "]"\n'),
    ("src/textutil.py", "def clean(text):\n    return text.strip().lower()\n"),
    ("src/textutil.py", "def clean(text):\n    return text.strip().upper()\n"),
]

# Whole-file edits of the inputs: declared data, import-time params, the
# undeclared files the steps open (None: the file is deleted; extra.txt and
# stopwords.txt start absent and, once written, are untracked until a commit).
INPUT_VARIANTS: list[tuple[str, str | None]] = [
    ("data/raw.txt", "Banana\n apple\nCherry \n"),
    ("data/raw.txt", "Banana\n apple\nCherry!\n"),  # same size
    ("params.yaml", "scale: 2\nwidth: 4\n"),
    ("params.yaml", "scale: 3\nwidth: 4\n"),  # same size: only the pipeline default changes
    ("params.yaml", "scale: 2\nwidth: 2\n"),  # only the shell param changes
    ("cfg.json", '{"mode": "a"}\n'),
    ("cfg.json", '{"mode": "b"}\n'),  # same size
    ("extra.txt", "x1\n"),
    ("extra.txt", None),
    ("stopwords.txt", "apple\n"),
    ("stopwords.txt", None),
]

# Hand edits of a declared out: other bytes, what another run made (the
# first run's clean.txt), or the file gone (None).
OUT_EDITS: list[tuple[str, str | None]] = [
    ("clean.txt", "edited by hand\n"),
    ("clean.txt", "bana\nappl\ncher\n"),
    ("clean.txt", None),
    ("report.txt", "edited by hand\n"),
]


def replace_marked_line(text: str, marker: str, new: str) -> str:
    lines = text.split("\n")
    hits = [i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1, f"{marker}: {len(hits)} lines"
    lines[hits[0]] = f"{new}  # {marker}"
    return "\n".join(lines)


_TEMPLATES: dict[bool, Path] = {}


def template(ran: bool) -> Path:
    """A committed, initialized project, made once per process (copying it
    is cheaper than `repro init` and a run each time); ``ran``: run once
    too, with the lock committed, so a sequence starts with a cache."""
    if ran not in _TEMPLATES:
        base = Path(tempfile.mkdtemp(prefix="repro-model-template-"))
        atexit.register(shutil.rmtree, base, True)
        root = base / "project"
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        for name, text in FILES.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        done = cli(root, "init")
        assert done.code == 0, describe(done)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "project")
        if ran:
            done = cli(root, "run")
            assert done.code == 0, describe(done)
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "run")
        _TEMPLATES[ran] = root
    return _TEMPLATES[ran]


def source_files(root: Path) -> dict[str, bytes]:
    """The work tree as `git add -A` would see it (tracked and untracked, not
    ignored), uncommitted edits included; without repro.lock, which is the
    project's history, not an input."""
    listed = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    files = {}
    for name in sorted(set(filter(None, listed.split("\0")))):
        path = root / name
        if name != "repro.lock" and path.is_file():
            files[name] = path.read_bytes()
    return files


def all_files(root: Path) -> dict[str, bytes]:
    """Every file of the work tree but .git/ and .repro/ (ignored ones too)."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in (".git", ".repro") or not path.is_file():
            continue
        found[str(rel)] = path.read_bytes()
    return found


def out_files(root: Path) -> dict[str, bytes | None]:
    return {name: (root / name).read_bytes() if (root / name).exists() else None for name in OUTS}


def read_record(root: Path, run_id: str) -> dict[str, Any]:
    """The run record: its index file, else `repro runs show --json`."""
    path = root / ".repro" / "runs" / f"{run_id}.json"
    if path.exists():
        record: dict[str, Any] = json.loads(path.read_text())
        return record
    shown = cli(root, "runs", "show", run_id, "--json")
    assert shown.code == 0, shown
    record = shown.json()
    return record


def step_outputs(record: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each step's outputs by name, as object ids (content hashes)."""
    return {
        name: {out: meta["oid"] for out, meta in step["outputs"].items()}
        for name, step in record["steps"].items()
    }


@dataclass(frozen=True)
class Outcome:
    outputs: dict[str, dict[str, str]]
    files: dict[str, bytes | None]


def describe(result: Result) -> str:
    return f"exit {result.code}\n--- stdout\n{result.out}\n--- stderr\n{result.err}"


_ORACLE: dict[tuple[Any, ...], Outcome] = {}


def oracle(project: Path, files: dict[str, bytes], args: tuple[str, ...]) -> Outcome:
    """`repro run --no-cache` of ``files`` in a fresh clone of ``project``."""
    key = (tuple(sorted(files.items())), args)
    if key in _ORACLE:
        return _ORACLE[key]
    base = Path(tempfile.mkdtemp(prefix="repro-model-oracle-"))
    try:
        clone = base / "clone"
        git(base, "clone", "-q", str(project), str(clone))
        assert not (clone / ".repro" / "cache").exists()
        (clone / "repro.lock").unlink(missing_ok=True)
        for name in source_files(clone):
            if name not in files:
                (clone / name).unlink()
        for name, data in files.items():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            (clone / name).write_bytes(data)
        done = cli(clone, "run", "--no-cache", "--json", *args)
        assert done.code == 0, "the oracle's run failed:\n" + describe(done)
        doc = done.json()
        assert {step["status"] for step in doc["steps"]} == {"executed"}, doc
        outcome = Outcome(step_outputs(read_record(clone, doc["run"])), out_files(clone))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    _ORACLE[key] = outcome
    return outcome
