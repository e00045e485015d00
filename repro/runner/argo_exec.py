"""One step of an Argo plan, executed in a pod: ``repro step-exec RUN STEP
--plan OID``. There is no project there: the plan, the code, the data and
the upstream outputs come from the remote store named in the pod's
environment, and the outputs go back to it. What Argo reads back are the
files under ``--argo-outputs``: each output's artifact, and the result."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from repro.argo.plan import REMOTE_ENV
from repro.backends.spec import RunSpec, StepResult
from repro.errors import ReproError, UsageError

__all__ = [
    "ArgoPlanError",
    "exec_planned_step",
    "parse_data",
    "parse_inputs",
    "snapshot_fresh_data",
    "write_argo_outputs",
]


class ArgoPlanError(ReproError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cannot run the planned step: {reason}")


def parse_inputs(given: list[str]) -> dict[str, dict[str, Any]]:
    """``ARG=JSON`` pairs: each argument's artifact, as Argo filled it in."""
    inputs: dict[str, dict[str, Any]] = {}
    for item in given:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--input {item!r}: expected ARGUMENT=JSON")
        try:
            artifact = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"--input {name}: not JSON ({exc})") from exc
        if not isinstance(artifact, dict) or "oid" not in artifact:
            raise UsageError(f"--input {name}: not an artifact (an object with an oid)")
        inputs[name] = artifact
    return inputs


def exec_planned_step(
    run: str,
    step: str,
    plan_oid: str,
    inputs: Mapping[str, Mapping[str, Any]],
    outputs_dir: str | None = None,
    environ: Mapping[str, str] = os.environ,
    data: Sequence[Mapping[str, Any]] = (),
    conditions: Sequence[str] = (),
) -> StepResult:
    """Run ``step`` of the plan ``plan_oid`` as run ``run``; with
    ``outputs_dir``, leave there what Argo reads back."""
    from repro import __version__
    from repro.backends.execute import ExecutionContext, execute_step
    from repro.remotes import remote_errors
    from repro.runner.stepexec import ReproVersionMismatchError, UnknownStepError

    remote, algorithm = _remote(environ)
    with remote_errors(remote):
        store = remote.store(algorithm)
        plan = _plan(store, plan_oid)
        spec = _with_fresh_data(
            replace(RunSpec.from_json(json.dumps(plan["spec"])), run_id=run), data
        )
        if spec.repro and spec.repro != __version__:
            raise ReproVersionMismatchError(run, spec.repro)
        if step not in spec.steps:
            raise UnknownStepError(run, step, list(spec.steps))
        missing = sorted(
            key
            for key, arg in spec.steps[step].args.items()
            if "output" in arg and key not in inputs
        )
        if missing:
            raise UsageError(f"step {step!r} needs --input {', '.join(missing)}")
        scratch = tempfile.mkdtemp(prefix=f"repro-{run}-{step}-")
        try:
            work = os.path.join(scratch, "work")
            spec = _check_out(store, plan["code"], spec, work, scratch)
            os.chdir(work)
            context = ExecutionContext(work, store, os.path.join(scratch, "artifacts"))
            result = execute_step(spec, spec.steps[step], dict(inputs), context)
            flags = _condition_flags(result, conditions, spec, context) if conditions else {}
        finally:
            os.chdir("/")
            shutil.rmtree(scratch, ignore_errors=True)
    if outputs_dir:
        write_argo_outputs(result, spec.steps[step].outputs, outputs_dir, flags)
    return result


def _condition_flags(
    result: StepResult, conditions: Sequence[str], spec: RunSpec, context: Any
) -> dict[str, bool]:
    """The value of each output another task's `when` reads, which must be a
    bool (the step fails otherwise, as a local run does)."""
    from repro.materialize import Artifact, MaterializeOptions, load
    from repro.pipelines.conditions import condition_value

    if result.status != "executed":
        return {}
    options = MaterializeOptions(
        allow_pickle=spec.allow_pickle, algorithm=spec.algorithm, workdir=context.workdir
    )
    flags = {}
    for name in conditions:
        value = load(Artifact.from_dict(result.outputs[name]), context.store, options)
        truth = condition_value(value)
        if truth is None:
            result.status = "failed"
            result.error = f"condition output {name!r} is a {type(value).__name__}, not a bool"
            return {}
        flags[name] = truth
    return flags


def parse_data(given: list[str]) -> list[dict[str, Any]]:
    """``--data JSON``: a URL dataset as a schedule's data task snapshotted it."""
    found = []
    for text in given:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"--data: not JSON ({exc})") from exc
        if not isinstance(doc, dict) or not {"uri", "oid"} <= doc.keys():
            raise UsageError("--data: not a snapshot (an object with a uri and an oid)")
        found.append(doc)
    return found


def _with_fresh_data(spec: RunSpec, data: Sequence[Mapping[str, Any]]) -> RunSpec:
    """The spec with each URL dataset at the snapshot given (staged from the
    store, since no path is named)."""
    datasets = dict(spec.datasets)
    for snapshot in data:
        uri = snapshot["uri"]
        if uri not in datasets:
            raise ArgoPlanError(f"--data names {uri}, which the plan does not read")
        mode = {"mode": "reference"} if snapshot.get("mode") == "reference" else {}
        datasets[uri] = {"oid": snapshot["oid"], "path": ""} | mode
    return replace(spec, datasets=datasets)


def snapshot_fresh_data(
    run: str, plan_oid: str, outputs_dir: str, environ: Mapping[str, str] = os.environ
) -> list[dict[str, Any]]:
    """A schedule's first task: snapshot the plan's URL datasets as they are
    now into the remote store, and leave each snapshot (JSON, with its uri)
    at ``<outputs_dir>/data/<index>.json`` for the tasks that read it."""
    from repro.atomic import write_atomic
    from repro.pipelines.data import Dataset
    from repro.remotes import remote_errors
    from repro.runner.datasets import snapshot_dataset

    remote, algorithm = _remote(environ)
    found = []
    with remote_errors(remote):
        store = remote.store(algorithm)
        plan = _plan(store, plan_oid)
        datasets = plan["spec"]["datasets"]
        for index, uri in enumerate(plan.get("fresh", [])):
            dataset = Dataset(uri, datasets[uri].get("mode", "copy"))
            prepared = snapshot_dataset("", dataset, algorithm, store, None)
            doc = {**prepared.snapshot.model_dump(mode="json"), "uri": uri}
            path = os.path.join(outputs_dir, "data", f"{index}.json")
            write_atomic(path, json.dumps(doc, sort_keys=True).encode())
            found.append(doc)
    return found


def write_argo_outputs(
    result: StepResult,
    outputs: tuple[str, ...],
    folder: str,
    flags: Mapping[str, bool] | None = None,
) -> None:
    """Each output's artifact at ``outputs/<index>.json``, each condition's
    value at ``outputs/<index>.when`` and the result at ``result.json``, as
    the template's output parameters read them."""
    from repro.atomic import write_atomic

    for name, flag in (flags or {}).items():
        path = os.path.join(folder, "outputs", f"{outputs.index(name)}.when")
        write_atomic(path, b"true" if flag else b"false")
    for index, name in enumerate(outputs):
        if name in result.outputs:
            data = json.dumps(result.outputs[name], sort_keys=True).encode()
            write_atomic(os.path.join(folder, "outputs", f"{index}.json"), data)
    write_atomic(
        os.path.join(folder, "result.json"), json.dumps(result.to_dict(), sort_keys=True).encode()
    )


def _remote(environ: Mapping[str, str]) -> tuple[Any, str]:
    from repro.remotes import Remote

    raw = environ.get(REMOTE_ENV)
    if not raw:
        raise ArgoPlanError(f"{REMOTE_ENV} is not set (the manifest sets it for every task)")
    try:
        doc = json.loads(raw)
        return Remote("argo", doc["url"], dict(doc.get("options") or {})), str(doc["algorithm"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ArgoPlanError(f"{REMOTE_ENV} is not a remote ({exc})") from exc


def _plan(store: Any, plan_oid: str) -> dict[str, Any]:
    from repro.runner.argo_plan import PLAN_FORMAT
    from repro.store import ObjectNotFoundError

    try:
        plan: dict[str, Any] = json.loads(store.read(plan_oid))
    except ObjectNotFoundError:
        raise ArgoPlanError(f"plan {plan_oid} is not in the remote store") from None
    if plan.get("format") != PLAN_FORMAT:
        raise ArgoPlanError(f"object {plan_oid} is not a plan of this repro ({PLAN_FORMAT})")
    return plan


def _check_out(store: Any, code: str, spec: RunSpec, work: str, scratch: str) -> RunSpec:
    """The project's files, then each dataset where the steps read it."""
    from repro.atomic import write_atomic
    from repro.runner.datasets import stage_spec_data, write_tree_files
    from repro.store import read_tree

    write_tree_files(store, code, work)
    local = {}
    for uri, entry in spec.datasets.items():
        if "://" in uri and not uri.startswith("file://"):
            continue  # staged from the store below, as for a container
        path = entry["path"] if os.path.isabs(entry["path"]) else os.path.join(work, entry["path"])
        entries = list(read_tree(store, entry["oid"]).entries)
        if entry.get("kind") == "file":
            write_atomic(path, store.read(entries[0].oid))
        else:
            write_tree_files(store, entry["oid"], path)
        local[uri] = {**entry, "path": path}
    spec = replace(spec, datasets={**spec.datasets, **local})
    return stage_spec_data(spec, store, scratch)
