"""Two small projects that exercise every kind of input a step's result
depends on, one of Python steps and one of shell steps, each in two
variants: ``fast`` (only literal defaults: a committed lock lets
``repro run`` decide without importing the pipeline) and ``slow`` (a
default computed at import time, ``n: int = len("abc")``, which turns
the no-op fast path off).

Both use a tiny distribution, ``soundpkg`` (a Python step imports it, a
shell step runs ``python3 -c 'import soundpkg ...'``), installed (a
package and its ``.dist-info``) in a ``site`` folder outside the project
that every command finds on ``PYTHONPATH``: upgrading it is a real change
of the installed environment, seen by ``importlib.metadata`` as pip would
leave it, without touching the shared virtualenv.

The import-time read, ``P = yaml.safe_load(open("params.yaml"))``, lives
in ``settings.py``: its value reaches one step, as a param (fast) or
through a pipeline default (slow). Read in ``pipeline.py`` itself, it
would be in the key of every Python step of that module (README: "It
reaches the keys of the Python steps whose code reaches the module that
read it"), and the table could not tell which steps it affects.

A project is built, run and committed once per (kind, path) and copied
for each case (``Case.copy``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline_testing import Result, cli, commit_all, dedent
from repro_testing import git, write_files

TARGET = "pipeline.py:p"

# `repro` as `cli` runs it, saying at the end whether the pipeline's module
# was imported: the fast path decides without importing it.
_PROBE = """
import runpy, sys
sys.argv = ["repro", *sys.argv[1:]]
try:
    runpy.run_module("repro", run_name="__main__", alter_sys=True)
finally:
    print(f"PIPELINE-IMPORTED={'pipeline' in sys.modules}", file=sys.stderr)
"""

# Python steps: load -> scaled -> total; load -> describe;
# configured, weighted, noted, versioned -> combine; threaded; shelled.
PYTHON_PIPELINE = dedent(
    '''
    """Soundness fixture: Python steps."""

    import json
    import subprocess
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    import soundpkg
    from helpers import scale
    from repro import Dataset, pipeline, step
    from settings import P


    @step
    def load(path: Path) -> list:
        return [int(line) for line in path.read_text().split()[1:]]


    @step
    def scaled(values: list, n: int) -> list:
        return [scale(v, n) for v in values]


    @step
    def total(values: list) -> int:
        return sum(values)


    @step
    def describe(values: list) -> dict:
        return {"count": len(values), "max": max(values)}


    @step
    def configured() -> dict:
        with open("cfg.json") as file:
            return json.load(file)


    @step
    def weighted(w: int) -> int:
        return w * 100


    @step
    def noted() -> str:
        with open("local/notes.txt") as file:
            return file.read()


    @step
    def versioned() -> str:
        return soundpkg.VALUE


    def read(path: str) -> str:
        with open(path) as file:
            return file.read()


    @step
    def threaded() -> list:
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(read, ["thread.txt"]))


    @step
    def shelled() -> str:
        done = subprocess.run(["cat", "child.txt"], capture_output=True, text=True, check=True)
        return done.stdout


    @step
    def combine(config: dict, weight: int, notes: str, version: str) -> str:
        return json.dumps([config, weight, notes, version])


    @pipeline
    def p(@SIGNATURE@) -> None:
        values = load(data)
        total(scaled(values, n=n))
        describe(values)
        combine(configured(), weighted(w=@W@), noted(), versioned())
        threaded()
        shelled()
    '''
)

# Shell steps: prepare -> report; count -> twice;
# weight, notes, version -> report.
SHELL_PIPELINE = dedent(
    '''
    """Soundness fixture: shell steps."""

    from repro import pipeline, sh
    from settings import P


    @pipeline
    def p(@SIGNATURE@) -> None:
        sh("python3 src/prepare.py", name="prepare", outs=["clean.txt"])
        sh(
            "sh src/count.sh {n} > count.txt",
            name="count",
            deps=["data/rows.csv"],
            outs=["count.txt"],
            params={"n": n},
        )
        sh("cat count.txt count.txt > twice.txt", name="twice", deps=["count.txt"],
           outs=["twice.txt"])
        sh("echo weight {w} > weight.txt", name="weight", outs=["weight.txt"],
           params={"w": @W@})
        sh("cat local/notes.txt > notes.txt", name="notes", outs=["notes.txt"])
        sh(
            "python3 -c 'import soundpkg; print(soundpkg.VALUE)' > version.txt",
            name="version",
            outs=["version.txt"],
        )
        sh(
            "cat clean.txt weight.txt notes.txt version.txt > report.txt",
            name="report",
            deps=["clean.txt", "weight.txt", "notes.txt", "version.txt"],
            outs=["report.txt"],
        )
    '''
)

# (signature, the value given as w) of each variant.
VARIANTS = {
    "python": {
        "fast": ('n: int = 3, data: Dataset = Dataset("data/rows.csv")', 'P["w"]'),
        "slow": (
            'n: int = len("abc"), w: int = P["w"], data: Dataset = Dataset("data/rows.csv")',
            "w",
        ),
    },
    "shell": {
        "fast": ("n: int = 3", 'P["w"]'),
        "slow": ('n: int = len("abc"), w: int = P["w"]', "w"),
    },
}

PREPARE = dedent(
    """
    import sys

    sys.path.insert(0, "src")
    import textutil

    with open("conf.txt") as conf, open("raw.txt") as raw, open("clean.txt", "w") as out:
        out.write(textutil.clean(raw.read()) + conf.read())
    """
)

COUNT = dedent(
    """
    total=0
    for value in $(tail -n +2 data/rows.csv); do total=$((total + value)); done
    echo $(($1 * total))
    """
)

COMMON = {
    # The import-time read: its value flows into a step param (fast) or a
    # pipeline default (slow).
    "settings.py": 'import yaml\n\nP = yaml.safe_load(open("params.yaml"))\n',
    "params.yaml": "w: 1\n",
    "data/rows.csv": "value\n1\n2\n3\n",
    "local/notes.txt": "note one\n",  # git-ignored: never committed
    "unrelated.py": "def unused() -> int:\n    return 1\n",
    "requirements.txt": "soundpkg==1.0\n",  # the project's Python lock file
    "README.md": "No step reads this.\n",
}

FILES = {
    "python": {
        **COMMON,
        "helpers.py": "def scale(value: int, factor: int) -> int:\n    return value * factor\n",
        "cfg.json": '{"k": 1}\n',
        "thread.txt": "read on a worker thread\n",
        "child.txt": "read by a child process\n",
        ".gitignore": "local/\n",
    },
    "shell": {
        **COMMON,
        "src/prepare.py": PREPARE,
        "src/textutil.py": "def clean(text):\n    return text.strip().lower()\n",
        "src/count.sh": COUNT,
        "conf.txt": "suffix\n",
        "raw.txt": "  Hello  \n",
        ".gitignore": "".join(
            f"{name}\n"
            for name in (
                "local/",
                "clean.txt",
                "count.txt",
                "twice.txt",
                "weight.txt",
                "notes.txt",
                "version.txt",
                "report.txt",
            )
        ),
    },
}

STEPS = {
    "python": (
        "load",
        "scaled",
        "total",
        "describe",
        "configured",
        "weighted",
        "noted",
        "versioned",
        "combine",
        "threaded",
        "shelled",
    ),
    "shell": ("prepare", "count", "twice", "weight", "notes", "version", "report"),
}


def pipeline_source(kind: str, path: str) -> str:
    signature, w = VARIANTS[kind][path]
    template = PYTHON_PIPELINE if kind == "python" else SHELL_PIPELINE
    return template.replace("@SIGNATURE@", signature).replace("@W@", w)


def install_soundpkg(site: Path, version: str) -> None:
    """``soundpkg`` ``version`` in ``site``, as an installer leaves it: the
    package and one ``.dist-info`` folder (an older one removed)."""
    for old in site.glob("soundpkg-*.dist-info"):
        shutil.rmtree(old)
    (site / "soundpkg").mkdir(parents=True, exist_ok=True)
    (site / "soundpkg" / "__init__.py").write_text(f"VALUE = {version!r}\n")
    info = site / f"soundpkg-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: soundpkg\nVersion: {version}\n")
    (info / "top_level.txt").write_text("soundpkg\n")
    (info / "RECORD").write_text("soundpkg/__init__.py,,\n")


@dataclass(frozen=True)
class Case:
    """One project: its work tree, the site folder it imports soundpkg
    from, its kind (python or shell) and its path (fast or slow)."""

    root: Path
    site: Path
    kind: str
    path: str

    @property
    def env(self) -> dict[str, str]:
        return {"PYTHONPATH": str(self.site)}

    def repro(self, *args: str) -> Result:
        return cli(self.root, *args, env=self.env)

    def repro_probed(self, *args: str) -> tuple[Result, bool]:
        """``repro`` with ``args``, and whether it imported the pipeline."""
        environ = {k: v for k, v in os.environ.items() if k != "REPRO_DEBUG"} | self.env
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, *args],
            cwd=self.root,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        imported = "PIPELINE-IMPORTED=True" in done.stderr
        return Result(done.returncode, done.stdout, done.stderr), imported

    def run_json(self, *args: str) -> dict[str, Any]:
        result = self.repro("run", "--json", *args)
        assert result.code == 0, result
        doc: dict[str, Any] = result.json()
        return doc

    def copy(self, dest: Path) -> Case:
        """The project and its site folder, copied under ``dest``, every
        work-tree file backdated so that the stat cache may keep it (the
        copy's first command fills it, as the last run did in a real
        work tree)."""
        root, site = dest / "repo", dest / "site"
        shutil.copytree(self.root, root, symlinks=True)
        shutil.copytree(self.site, site, symlinks=True)
        backdate(work_tree_files(root))
        return Case(root, site, self.kind, self.path)

    def outputs(self, run_id: str) -> dict[str, Any]:
        """Each step's output ids in the run's record and, for a shell
        step, the bytes its outs hold in the work tree now."""
        record = json.loads((self.root / ".repro" / "runs" / f"{run_id}.json").read_text())
        found: dict[str, Any] = {}
        for name, step in record["steps"].items():
            oids = {out: artifact["oid"] for out, artifact in step["outputs"].items()}
            found[name] = {"oids": oids}
            if step["kind"] == "shell":
                found[name]["files"] = {out: (self.root / out).read_bytes() for out in oids}
        return found


def work_tree_files(root: Path) -> list[Path]:
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and not {".git", ".repro"} & set(path.relative_to(root).parts)
    ]


def backdate(paths: Iterable[Path], seconds: float = 60.0) -> None:
    for path in paths:
        stamp = path.stat().st_mtime - seconds
        os.utime(path, (stamp, stamp))


def build_project(base: Path, kind: str, path: str) -> Case:
    """The project, initialized, run and committed with its lock."""
    root, site = base / "repo", base / "site"
    root.mkdir(parents=True)
    install_soundpkg(site, "1.0")
    case = Case(root, site, kind, path)
    git(root, "init", "-q", "-b", "main")
    files = {**FILES[kind], "pipeline.py": pipeline_source(kind, path)}
    write_files(root, {name: text.encode() for name, text in files.items()})
    assert case.repro("init").code == 0
    commit_all(root, "project")
    doc = case.run_json(TARGET)
    assert doc["status"] == "succeeded", doc
    assert {step["name"] for step in doc["steps"]} == set(STEPS[kind]), doc
    commit_all(root, "run")
    assert "local/notes.txt" not in git(root, "ls-files"), "the untracked file was committed"
    return case
