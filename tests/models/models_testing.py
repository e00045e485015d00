"""A small project whose pipelines register models: ``train`` fits a
scikit-learn LinearRegression on a CSV (a blob through skops), ``bundle``
returns a folder (a tree). The template is run once per test process:
train at scale 2, at scale 3, at scale 2 again (every step cached: the
first version, recorded again), then bundle."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline_testing import cli, commit_all, run_json
from repro_testing import git

TRAIN = '''\
"""Fit a line through the points, scaled."""

from pathlib import Path

import pandas as pd
from sklearn.linear_model import LinearRegression

from repro import Dataset, Model, log_metric, log_params, pipeline, step


@step
def prepare(path: Path, scale: float) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame["y"] = frame["y"] * scale
    return frame


@step
def fit(frame: pd.DataFrame) -> LinearRegression:
    model = LinearRegression().fit(frame[["x"]], frame["y"])
    log_metric("slope", float(model.coef_[0]))
    log_params(features=["x"])
    return model


@pipeline(model=Model(name="line"))
def train(scale: float = 2.0, data: Dataset = Dataset("data/points.csv")) -> None:
    fit(prepare(data, scale=scale))
'''

BUNDLE = '''\
"""A model that is a folder of files."""

from pathlib import Path

from repro import Model, pipeline, step


@step
def export(size: int) -> Path:
    folder = Path("build/bundle")
    (folder / "meta").mkdir(parents=True, exist_ok=True)
    (folder / "weights.txt").write_text(f"{size}\\n")
    (folder / "meta" / "card.md").write_text("# bundle\\n")
    return folder


@pipeline(model=Model(name="bundle", step="export"))
def bundle(size: int = 4) -> None:
    export(size=size)
'''

PYPROJECT = """\
[tool.repro.pipelines]
train = "train.py:train"
bundle = "bundle.py:bundle"
"""

POINTS = "x,y\n0,1\n1,2\n2,3\n3,4\n"


@dataclass(frozen=True)
class Trained:
    """The template's facts: the run ids and the versions they recorded."""

    root: Path
    first_run: str  # scale 2
    second_run: str  # scale 3
    rerun: str  # scale 2 again, every step cached
    bundle_run: str
    commit: str  # the commit every run ran at

    def record(self, run: str) -> dict[str, Any]:
        path = self.root / ".repro" / "runs" / f"{run}.json"
        return dict(json.loads(path.read_text()))

    def version(self, run: str) -> str:
        models = self.record(run)["models"]
        return str(models[0]["version"])

    def copy(self, dest: Path) -> Trained:
        shutil.copytree(self.root, dest, symlinks=True)
        return Trained(
            dest, self.first_run, self.second_run, self.rerun, self.bundle_run, self.commit
        )


def make_trained(root: Path) -> Trained:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    files = {
        "train.py": TRAIN,
        "bundle.py": BUNDLE,
        "pyproject.toml": PYPROJECT,
        "data/points.csv": POINTS,
        ".gitignore": "build/\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert cli(root, "init").code == 0
    commit = commit_all(root, "a project with two models")
    first = run_json(root, "train", "-p", "scale=2")["run"]
    second = run_json(root, "train", "-p", "scale=3")["run"]
    rerun = run_json(root, "train", "-p", "scale=2")["run"]
    bundle = run_json(root, "bundle")["run"]
    return Trained(root, first, second, rerun, bundle, commit)
