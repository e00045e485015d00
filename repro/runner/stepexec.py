"""``repro step-exec``: one step of a planned run, executed from its
serialized spec alone, as a container backend runs it (inside the
container) or as a user retries it by hand."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import replace
from typing import Any

from repro import __version__
from repro.backends.spec import SECRETS_ENV, RunSpec, StepResult, StepSpec
from repro.errors import ReproError, UsageError
from repro.lineage.redact import REDACTED
from repro.project import Project

__all__ = [
    "MaskedSpecError",
    "ReproVersionMismatchError",
    "UnknownStepError",
    "exec_step",
]


class UnknownStepError(ReproError, LookupError):
    def __init__(self, run: str, step: str, known: list[str]) -> None:
        super().__init__(f"run {run} has no step {step!r} (steps: {', '.join(known)})")


def exec_step(
    project: Project,
    run: str,
    step: str,
    inputs_file: str | None,
    *,
    work_root: str | None = None,
    store_dir: str | None = None,
    scratch_tree: bool = False,
) -> StepResult:
    """Execute one step of a planned run, its inputs taken from ``inputs_file``
    or from the finished upstream steps in the run's journal. A container
    backend passes the step's masked values in REPRO_STEP_SECRETS, the
    store's path as mounted (``store_dir``: no config is re-read in there),
    the replay worktree to read code and data from (``work_root``), and
    ``scratch_tree`` to run a shell step in a writable mirror of a
    read-only project."""
    from repro.backends.execute import ExecutionContext, execute_step
    from repro.lineage.runs import RunIndex
    from repro.runner.datasets import stage_spec_data

    index = RunIndex(project.repro_dir)
    run = index.resolve(run, planned=True)
    with open(os.path.join(index.folder, f"{run}.spec"), encoding="utf-8") as file:
        spec = RunSpec.from_json(file.read())
    if spec.repro and spec.repro != __version__:
        raise ReproVersionMismatchError(run, spec.repro)
    if step not in spec.steps:
        raise UnknownStepError(run, step, list(spec.steps))
    spec = _with_secrets(spec, step, os.environ.get(SECRETS_ENV))
    _refuse_masked(run, spec.steps[step])
    inputs = _inputs(index, run, spec.steps[step].args, inputs_file)
    root = os.path.abspath(work_root) if work_root else project.root
    # Relative paths a step opens are the worktree's, as on the local backend.
    os.chdir(root)
    scratch = tempfile.mkdtemp(prefix=f"repro-{run}-{step}-")
    try:
        store = project.store(store_dir)
        spec = stage_spec_data(spec, store, scratch)
        if scratch_tree and spec.steps[step].kind == "shell":
            from repro.backends.mirror import mirror_tree

            root = mirror_tree(root, os.path.join(scratch, "tree"))
        context = ExecutionContext(root, store, scratch, undeclared=project.config.run.undeclared)
        return execute_step(spec, spec.steps[step], inputs, context)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _inputs_from_file(path: str, args: dict[str, Any]) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as file:
            loaded = json.load(file)
    except ValueError as exc:
        raise UsageError(f"--inputs {path}: not JSON ({exc})") from exc
    needed = [key for key, arg in args.items() if "output" in arg]
    if not isinstance(loaded, dict):
        raise UsageError(f"--inputs {path}: expected an object of argument -> artifact")
    for key in needed:
        if not isinstance(loaded.get(key), dict):
            raise UsageError(f"--inputs {path}: no artifact for argument {key!r}")
    return {key: loaded[key] for key in needed}


def _inputs(index: Any, run: str, args: dict[str, Any], inputs_file: str | None) -> dict[str, Any]:
    if inputs_file is not None:
        return _inputs_from_file(inputs_file, args)
    finished: dict[str, Any] = {}
    if index.has(run):
        record = index.load(run)
        finished = {
            name: {k: a.model_dump() for k, a in step.outputs.items()}
            for name, step in record.steps.items()
        }
    journal = os.path.join(index.folder, f"{run}.journal")
    if os.path.exists(journal):
        with open(journal, encoding="utf-8") as file:
            for line in file:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a kill
                finished[event["step"]] = event.get("outputs", {})
    resolved = {}
    for key, arg in args.items():
        if "output" in arg:
            upstream, name = arg["output"]
            if name not in finished.get(upstream, {}):
                raise ReproError(
                    f"step input {key!r} needs output {name!r} of step "
                    f"{upstream!r}, which has not finished in run {run}"
                )
            resolved[key] = finished[upstream][name]
    return resolved


class ReproVersionMismatchError(ReproError):
    def __init__(self, run: str, planned_by: str) -> None:
        self.run, self.planned_by = run, planned_by
        super().__init__(
            f"run {run} was planned by repro {planned_by}, this is repro {__version__}: "
            "the image's repro must be the one that plans its runs; rebuild it "
            "(`repro image build`)"
        )


class MaskedSpecError(ReproError):
    def __init__(self, run: str, step: str) -> None:
        super().__init__(
            f"step {step!r} of run {run} has a secret parameter, masked in the stored spec; "
            "run it with `repro run` (secrets are never written to disk)"
        )


def _with_secrets(spec: RunSpec, step: str, given: str | None) -> RunSpec:
    if not given:
        return spec
    try:
        secrets = json.loads(given)
        args = {
            key: {"value": secrets["args"][key]} if key in secrets["args"] else arg
            for key, arg in spec.steps[step].args.items()
        }
        command = secrets.get("command") or spec.steps[step].command
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{SECRETS_ENV}: not the values of step {step!r} ({exc})") from exc
    steps = {**spec.steps, step: replace(spec.steps[step], args=args, command=command)}
    return replace(spec, steps=steps)


def _refuse_masked(run: str, step: StepSpec) -> None:
    masked = any(arg.get("masked") for arg in step.args.values())
    if masked or (step.command is not None and REDACTED in step.command):
        raise MaskedSpecError(run, step.name)
