"""A Git history whose runs are pinned in every way gc must see, for the gc
tests: by an old commit only, a branch, a tag, HEAD and the work tree, and
one run never committed."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline_testing import commit_all, make_flow_project
from repro_testing import git

from repro.lineage.records import RunRecord
from repro.lineage.runs import RunIndex
from repro.project import Project
from repro.runner.closure import run_objects, tree_blobs
from repro.runner.run import RunOptions, run_target
from repro.runner.targets import Target
from repro.usercode import forget_project_modules


@dataclass(frozen=True)
class History:
    root: Path
    runs: dict[str, str]  # name -> run id
    objects: dict[str, set[str]]  # name -> objects only that run needs

    def copy(self, dest: Path) -> Project:
        shutil.copytree(self.root, dest, symlinks=True)
        return Project(str(dest))


def closure(project: Project, run_id: str) -> set[str]:
    """Every object the run needs, from its record in the local index."""
    record = RunIndex(project.repro_dir).load(run_id)
    found = run_objects(record, project.config.core.hash)
    return found.all() | tree_blobs(project.store(), found.trees)


def run_flow(root: Path, factor: int) -> RunRecord:
    """A run of the flow pipeline, in this process (a tenth of the time of
    the command): what is kept does not depend on how a run was made."""
    try:
        outcome = run_target(
            Project(str(root)), Target("flow.py", "flow"), RunOptions(params={"factor": factor})
        )
    finally:
        # The next run may be of a copy of the project: it must import its own files.
        forget_project_modules(str(root), unlist=True)
    assert outcome.ok
    return outcome.record


def build_history(root: Path) -> History:
    """Runs ``old`` (pinned only by an old commit), ``feature`` (a branch),
    ``tagged`` (an annotated tag), ``head`` (HEAD and the work tree) and
    ``loose`` (never committed)."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    make_flow_project(root)
    runs = {"old": run_flow(root, 3).id}
    commit_all(root, "old")
    git(root, "checkout", "-q", "-b", "feature")
    runs["feature"] = run_flow(root, 5).id
    commit_all(root, "feature")
    git(root, "checkout", "-q", "--detach", "main")
    runs["tagged"] = run_flow(root, 11).id
    commit_all(root, "tagged")
    git(root, "tag", "-a", "-m", "tagged", "v-tagged")
    git(root, "checkout", "-q", "main")
    runs["head"] = run_flow(root, 7).id
    commit_all(root, "head")
    runs["loose"] = run_flow(root, 13).id
    git(root, "checkout", "-q", "--", "repro.lock")
    project = Project(str(root))
    closures = {name: closure(project, run) for name, run in runs.items()}
    objects = {
        name: own - set().union(*(c for n, c in closures.items() if n != name))
        for name, own in closures.items()
    }
    assert all(objects.values())
    return History(root, runs, objects)
