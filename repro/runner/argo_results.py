"""A finished Workflow turned into a run record: each task's result is the
``repro-result`` output parameter its pod wrote; each step's cache key is
finished now that its upstream outputs are known; its outputs are fetched
from the remote into the local cache, so that the next local run reuses
them; the lock is updated as after a local run, and a replay is verified
against the run it replays."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from repro.errors import ReproError
from repro.lineage.records import ArtifactRecord, RunRecord, StepRecord
from repro.lineage.redact import redact_params
from repro.project import Project
from repro.runner.argo_pending import PendingArgoRun, PendingStep, forget_pending

__all__ = [
    "FINISHED_PHASES",
    "ArgoRunOutcome",
    "TaskResult",
    "WorkflowNotFinishedError",
    "record_workflow",
    "task_results",
]

FINISHED_PHASES = frozenset({"Succeeded", "Failed", "Error"})


class WorkflowNotFinishedError(ReproError):
    def __init__(self, workflow: str, phase: str) -> None:
        self.workflow, self.phase = workflow, phase
        super().__init__(f"workflow {workflow} is {phase or 'pending'}; watch it until it ends")


@dataclass(frozen=True)
class TaskResult:
    phase: str
    result: dict[str, Any] | None  # the StepResult the pod wrote
    message: str | None


@dataclass(frozen=True)
class ArgoRunOutcome:
    record: RunRecord
    phase: str
    warning: str | None = None  # the run was not mirrored to MLflow

    @property
    def ok(self) -> bool:
        return self.record.status == "succeeded"


def task_results(status: Mapping[str, Any], tasks: Mapping[str, str]) -> dict[str, TaskResult]:
    """Per step (``tasks``: step -> task name), what its node reports. A
    retried task's result is that of its node (the retry), which Argo
    gives the outputs of the attempt that counted."""
    by_task: dict[str, Mapping[str, Any]] = {}
    for node in (status.get("nodes") or {}).values():
        kinds = ("Pod", "Retry", "Skipped")
        if node.get("type") in kinds and node.get("displayName") in tasks.values():
            name = node["displayName"]
            # A retry node stands for its attempts, which carry "(n)" names.
            if name not in by_task or node.get("type") == "Retry":
                by_task[name] = node
    found = {}
    for step, task in tasks.items():
        node = by_task.get(task)
        if node is None:
            continue
        found[step] = TaskResult(node.get("phase", ""), _result(node), node.get("message"))
    return found


def _result(node: Mapping[str, Any]) -> dict[str, Any] | None:
    from repro.argo.plan import RESULT_PARAMETER

    for parameter in (node.get("outputs") or {}).get("parameters") or []:
        if parameter.get("name") == RESULT_PARAMETER and parameter.get("value"):
            try:
                doc = json.loads(parameter["value"])
            except ValueError:
                return None
            return doc if isinstance(doc, dict) else None
    return None


def record_workflow(
    project: Project, pending: PendingArgoRun, workflow: Mapping[str, Any]
) -> ArgoRunOutcome:
    """Record the finished ``workflow`` as run ``pending.run_id``."""
    from repro.runner.run import now_iso

    status = workflow.get("status") or {}
    phase = str(status.get("phase") or "")
    if phase not in FINISHED_PHASES:
        raise WorkflowNotFinishedError(pending.workflow, phase)
    draft = RunRecord.model_validate(pending.draft)
    results = task_results(status, {step: s.task for step, s in pending.steps.items()})
    steps = dict(draft.steps)
    outputs = {name: {k: a.model_dump() for k, a in s.outputs.items()} for name, s in steps.items()}
    unmet = set(pending.unmet)
    for name in _order(pending.steps):
        step = pending.steps[name]
        result = results.get(name)
        if step.conditional and result is not None and result.phase == "Skipped":
            unmet.add(name)
            steps[name] = _unmet_record(step, result.message)
            continue
        done = _step_record(step, result, outputs, project.config.core.hash, status.get("message"))
        steps[name] = done
        outputs[name] = {k: a.model_dump() for k, a in done.outputs.items()}
    failed = any(s.status in ("failed", "skipped") for n, s in steps.items() if n not in unmet)
    record = draft.model_copy(
        update={
            "status": "failed" if failed or phase != "Succeeded" else "succeeded",
            "finished": status.get("finishedAt") or now_iso(),
            "steps": dict(sorted(steps.items(), key=lambda item: item[1].position)),
        }
    )
    record = _with_models(record, pending, outputs)
    _fetch_outputs(project, pending, record)
    if not record.replay_of:
        _restore_shell_outs(project, pending, record)
    saved, warning = _save(project, pending, record, frozenset(unmet))
    return ArgoRunOutcome(saved, phase, warning)


def _unmet_record(step: PendingStep, message: str | None) -> StepRecord:
    """A task Argo skipped because its `when` was false."""
    from repro.runner.keys import KeyMaterial

    material = KeyMaterial.from_dict(step.material)
    return StepRecord(
        position=step.position,
        kind=material.kind,  # type: ignore[arg-type]
        cache=step.cache,
        status="skipped",
        cache_key=None,
        fingerprints=None,
        upstream=step.upstream,
        reason=f"condition false on the cluster ({message or 'when evaluated false'})",
        command=step.command,
        image=material.image,
        tags=step.tags,
    )


def _order(steps: Mapping[str, PendingStep]) -> list[str]:
    return sorted(steps, key=lambda name: steps[name].position)


def _step_record(
    step: PendingStep,
    result: TaskResult | None,
    outputs: Mapping[str, Mapping[str, Mapping[str, Any]]],
    algorithm: str,
    workflow_message: str | None,
) -> StepRecord:
    from repro.runner.keys import KeyMaterial, finish_key

    material = KeyMaterial.from_dict(step.material)
    inputs = _input_oids(step, outputs)
    base: dict[str, Any] = {
        "position": step.position,
        "kind": material.kind,
        "cache": step.cache,
        "upstream": step.upstream,
        "command": step.command,
        "image": material.image,
        "tags": redact_params({**step.tags, **((result.result or {}).get("tags") or {})})
        if result
        else step.tags,
    }
    if inputs is None or result is None:
        why = "an upstream step did not finish" if inputs is None else _not_run(workflow_message)
        return StepRecord(status="skipped", cache_key=None, fingerprints=None, reason=why, **base)
    key = finish_key(material, inputs, algorithm)
    done = result.result or {}
    executed = done.get("status") == "executed" and result.phase == "Succeeded"
    error = done.get("error") or result.message or f"task {step.task} {result.phase.lower()}"
    return StepRecord(
        status="executed" if executed else "failed",
        cache_key=key.cache_key,
        fingerprints=key.fingerprints,
        code_files=key.code_files,
        outputs={k: ArtifactRecord(**a) for k, a in (done.get("outputs") or {}).items()},
        logged_params=redact_params(done.get("params") or {}),
        artifacts={k: ArtifactRecord(**a) for k, a in (done.get("artifacts") or {}).items()},
        metrics=done.get("metrics") or {},
        started=done.get("started"),
        duration=done.get("duration"),
        error=None if executed else error,
        reason=f"ran on argo: {step.reason}",
        **base,
    )


def _not_run(message: str | None) -> str:
    return "not run on the cluster" + (f" ({message})" if message else "")


def _input_oids(
    step: PendingStep, outputs: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> dict[str, str] | None:
    oids = {}
    for argument, arg in step.args.items():
        if "dataset" in arg:
            oids[argument] = arg["dataset"]
            continue
        upstream, name = arg["output"]
        artifact = outputs.get(upstream, {}).get(name)
        if artifact is None:
            return None
        oids[argument] = artifact["oid"]
    return oids


def _with_models(
    record: RunRecord, pending: PendingArgoRun, outputs: Mapping[str, Any]
) -> RunRecord:
    # A replay re-made versions its original registered (`repro replay
    # --register` is for local and Docker replays).
    if record.status != "succeeded" or pending.model is None or record.replay_of:
        return record
    from repro.pipelines.data import Model
    from repro.runner.records import model_versions

    return record.model_copy(
        update={"models": model_versions(Model(**pending.model), dict(outputs))}
    )


def _fetch_outputs(project: Project, pending: PendingArgoRun, record: RunRecord) -> None:
    """The executed steps' outputs, from the remote the pods wrote to."""
    from repro.remotes import get_remote, remote_errors
    from repro.runner.closure import tree_blobs
    from repro.store.transfer import transfer

    blobs: set[str] = set()
    trees: set[str] = set()
    for name in pending.steps:
        for artifact in record.steps[name].outputs.values():
            (trees if artifact.kind == "tree" else blobs).add(artifact.oid)
    if not blobs and not trees:
        return
    local = project.store()
    remote = get_remote(project.config, pending.remote)
    with remote_errors(remote):
        store = remote.store(local.algorithm.name)
        blobs |= tree_blobs(store, trees)
        transfer(store, local, [blobs, trees])


def _restore_shell_outs(project: Project, pending: PendingArgoRun, record: RunRecord) -> None:
    """What a shell step wrote on the cluster, checked out here as after a
    local run (a replay leaves the work tree alone)."""
    from repro.runner.records import restore_outs

    for name in pending.steps:
        step = record.steps[name]
        if step.kind == "shell" and step.status == "executed":
            outputs = {k: a.model_dump() for k, a in step.outputs.items()}
            restore_outs(project.store(), project.root, outputs, project.config.core.hash)


def _save(
    project: Project, pending: PendingArgoRun, record: RunRecord, unmet: frozenset[str]
) -> tuple[RunRecord, str | None]:
    from repro.lineage.runs import RunIndex
    from repro.mirrors.mlflow import mirror_run
    from repro.runner.records import cache_entry
    from repro.runner.stepcache import StepCache

    store = project.store()
    if record.replay_of:
        from repro.runner.replay import verify

        original = RunIndex(project.repro_dir).load(record.replay_of)
        record = record.model_copy(update={"verification": verify(original, record)})
    record_oid = store.write(RunIndex(project.repro_dir).save(record))
    cache = StepCache(project.repro_dir)
    for name in pending.steps:
        step = record.steps[name]
        if step.status == "executed" and step.cache_key and step.cache:
            logged = {
                "params": step.logged_params,
                "tags": step.tags,
                "artifacts": {k: a.model_dump() for k, a in step.artifacts.items()},
            }
            outputs = {k: a.model_dump() for k, a in step.outputs.items()}
            entry = cache_entry(outputs, step.metrics, record.id, step.duration, logged)
            cache.put(step.cache_key, entry)
    if record.status == "succeeded" and pending.update_lock and not record.replay_of:
        from repro.runner.run import write_lock_entry

        write_lock_entry(
            project,
            record,
            record_oid,
            pending.code_files,
            pending.defaults,
            pending.static,
            unmet,
        )
    forget_pending(project.repro_dir, record.id)
    # Last: a slow or unreachable server must not keep a run unrecorded.
    return record, mirror_run(project, record).warning
