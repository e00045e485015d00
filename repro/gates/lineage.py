"""``repro check lineage`` (the ``repro-lineage`` hook): the lock is true of
the code, data, parameters and environment (``repro status`` would call
every pipeline fresh), and the objects of every run it pins are in the
local cache or on the default remote.

Under pre-commit the work tree holds what is staged (pre-commit sets
unstaged changes aside while hooks run), so this judges the commit.

The pipelines judged are those configured under ``[tool.repro.pipelines]``,
or, with none configured, those the lock holds. No lock at all passes with
a note: nothing is pinned yet. The judgement is made by the project's own
interpreter (``repro.gates.interpreter``): an unchanged project is answered
by the no-op fast path of ``repro run``, without importing the pipelines.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from repro.errors import ReproError
from repro.gates.interpreter import Interpreter, child_environ, hook_environment, project_python
from repro.gates.objects import LockedRun, unreachable_runs
from repro.gates.result import Finding, GateResult
from repro.gates.scope import Place, place_for, shown
from repro.project import Project
from repro.runner.lockfile import LOCK_FILE, known_valid
from repro.safeyaml import read_limited

if TYPE_CHECKING:
    from repro.runner.targets import Target

__all__ = ["LINEAGE", "check_lineage", "judge_lineage"]

LINEAGE = "lineage"


def check_lineage(
    project: Project, *, cwd: str | None = None, python: str | None = None
) -> GateResult:
    """The lineage of ``project``, judged by its own interpreter (``python``
    if given): in this process when that is the one running."""
    cwd = cwd or os.getcwd()
    lock = os.path.join(project.root, LOCK_FILE)
    if not os.path.exists(lock):
        return GateResult(LINEAGE, notes=(f"{shown(lock, cwd)}: no lock yet, nothing pinned",))
    interpreter = project_python(project, python)
    if interpreter is None and hook_environment() is not None:
        return GateResult(LINEAGE, (_no_interpreter(project, cwd),))
    if interpreter is None or interpreter.is_running:
        return judge_lineage(project, cwd=cwd)
    return _judged_by(interpreter, project, cwd)


def _no_interpreter(project: Project, cwd: str) -> Finding:
    return Finding(
        LINEAGE,
        shown(project.root, cwd),
        "no Python interpreter of the project found (.venv/bin/python, $VIRTUAL_ENV, python3 "
        "on PATH) to judge its lineage with",
        "make .venv, give `args: [--python, PATH]` to the hook, or use repro-lineage-system",
    )


def _judged_by(interpreter: Interpreter, project: Project, cwd: str) -> GateResult:
    argv = [interpreter.python, "-m", "repro", "check", "lineage", "--json", project.root]
    env = child_environ(interpreter)
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    except OSError as exc:
        return GateResult(LINEAGE, (_not_judged(interpreter, project, cwd, str(exc)),))
    try:
        result = GateResult.from_dict(json.loads(done.stdout))
    except ValueError:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return GateResult(LINEAGE, (_not_judged(interpreter, project, cwd, reason),))
    note = f"judged by {interpreter.python} ({interpreter.how})"
    return GateResult(LINEAGE, result.findings, (*result.notes, note))


def _not_judged(interpreter: Interpreter, project: Project, cwd: str, reason: str) -> Finding:
    python = shlex.quote(interpreter.python)
    return Finding(
        LINEAGE,
        shown(project.root, cwd),
        f"the project's interpreter {interpreter.python} ({interpreter.how}) could not judge "
        f"its lineage ({reason})",
        f"install repro there (`{python} -m pip install repro-gitops`), name another with "
        "`--python PATH`, or use repro-lineage-system",
    )


def judge_lineage(project: Project, *, cwd: str | None = None) -> GateResult:
    """The lineage of ``project``, judged by the interpreter running."""
    cwd = cwd or os.getcwd()
    place = place_for(project, cwd)
    lock_path = os.path.join(project.root, LOCK_FILE)
    where = shown(lock_path, cwd)
    try:
        doc = _lock_doc(project)
    except ReproError:
        fix = f"`{place.command('repro check lock')}` says what is wrong"
        return GateResult(LINEAGE, (Finding(LINEAGE, where, "not a valid lock", fix),))
    if doc is None:
        return GateResult(LINEAGE, notes=(f"{where}: no lock yet, nothing pinned",))
    runs = _runs_of(project, doc)
    findings = [
        Finding(LINEAGE, where, problem, fix)
        for label, target in _targets(project, doc)
        for problem, fix in _staleness(project, place, label, target, lock_path)
    ]
    locked = [
        LockedRun(
            name,
            run,
            record,
            place.command(f"repro run {shlex.quote(label)}"),
            place.command("repro push"),
        )
        for label, (name, run, record) in runs.items()
    ]
    try:
        gone = unreachable_runs(project, locked)
    except ReproError as exc:  # a record unreadable, a run id malformed
        fix = f"fix that, then `{place.command('repro check lineage')}` again"
        return GateResult(LINEAGE, (*findings, Finding(LINEAGE, where, str(exc), fix)))
    findings += [Finding(LINEAGE, where, item.problem, item.fix) for item in gone]
    return GateResult(LINEAGE, tuple(findings))


def _lock_doc(project: Project) -> dict[str, Any] | None:
    """The lock as JSON: from the record of the version last known valid
    when it is that one (no YAML, no schema loaded), else parsed."""
    try:
        data = read_limited(os.path.join(project.root, LOCK_FILE))
    except FileNotFoundError:
        return None
    doc = known_valid(project, data)
    if doc is not None:
        return doc
    from repro.runner.lockfile import load_lock

    lock = load_lock(project)
    return None if lock is None else lock.model_dump(mode="json", by_alias=True)


def _pipelines(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    pipelines = doc.get("pipelines")
    return dict(pipelines) if isinstance(pipelines, dict) else {}


def _targets(project: Project, doc: Mapping[str, Any]) -> list[tuple[str, Target | ReproError]]:
    """(name for `repro run`, target) of each pipeline judged; a target
    that cannot be resolved carries its error."""
    from repro.runner.targets import configured_pipelines, resolve_targets

    configured = configured_pipelines(project.root)
    labels = sorted(configured) or sorted({e["target"] for e in _pipelines(doc).values()})
    found: list[tuple[str, Target | ReproError]] = []
    for label in labels:
        try:
            found.append((label, resolve_targets(project.root, label)[0]))
        except ReproError as exc:
            found.append((label, exc))
    return found


def _runs_of(project: Project, doc: Mapping[str, Any]) -> dict[str, tuple[str, str, str]]:
    """{name for `repro run`: (pipeline, run, record)} of each locked run."""
    from repro.runner.targets import configured_pipelines

    by_target = {text: name for name, text in configured_pipelines(project.root).items()}
    return {
        by_target.get(entry["target"], entry["target"]): (name, entry["run"], entry["record"])
        for name, entry in sorted(_pipelines(doc).items())
    }


def _staleness(
    project: Project, place: Place, label: str, target: Target | ReproError, lock: str
) -> list[tuple[str, str]]:
    """[(problem, fix)] when the pipeline is stale or cannot be judged."""
    rerun = place.command(f"repro run {shlex.quote(label)} && git add {place.path(lock)}")
    try:
        why = _stale_because(project, target)
    except ReproError as exc:
        return [(f"pipeline {label!r} cannot be judged: {exc}", f"fix that, then run `{rerun}`")]
    return [] if why is None else [(f"pipeline {label!r} is stale ({why})", f"run `{rerun}`")]


def _stale_because(project: Project, target: Target | ReproError) -> str | None:
    """Why the pipeline is stale (its first stale step's first reason), or
    None when it is fresh; ``target`` may be the error resolving it."""
    if isinstance(target, ReproError):
        raise target
    from repro.runner.fastpath import up_to_date

    if up_to_date(project, target, {}) is not None:
        return None
    from repro.runner.status import pipeline_status

    status = pipeline_status(project, target)
    if status.fresh:
        return None
    for step in status.steps:
        if not step.fresh:
            return f"step {step.step!r}: {step.reasons[0] if step.reasons else 'stale'}"
    return f"step {status.removed[0]!r} is no longer in the pipeline"
