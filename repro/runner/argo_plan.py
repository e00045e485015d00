"""``--backend argo``: a run planned here and executed on a cluster.

Planning is a local run up to the point where steps would start: data is
snapshotted, every step whose upstream steps are all cached is looked up in
the cache, and what is left becomes the Workflow's tasks (a cached step is
not scheduled at all). What the pods need travels through the remote store
before the manifest names it: the files Git tracks, as they are in the work tree (a
tree), the data snapshots, the cached outputs the tasks read, and the plan
(the run spec and the code tree's id). The run's id is derived from the
plan and the lock, so the same lock renders the same bytes.

What the record will need once the workflow has finished (each scheduled
step's key material, the cached steps' records, the lock's inputs) is kept
in ``.repro/runs/<run>.argo.json`` for ``repro argo watch``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from repro.argo.plan import (
    DATA_TASK,
    ArgoRemote,
    InputBinding,
    TaskPlan,
    WorkflowPlan,
    task_names,
)
from repro.argo.settings import ArgoSettings, load_argo_settings
from repro.backends.spec import RunSpec
from repro.errors import ReproError, UsageError
from repro.lineage.records import GitRecord, StepRecord
from repro.lineage.redact import redact_url
from repro.pipelines.graph import DatasetRef, Node, OutputRef
from repro.project import Project
from repro.runner.argo_pending import (
    PendingArgoRun,
    PendingStep,
    save_cron_template,
    save_pending,
)
from repro.runner.datasets import Prepared
from repro.runner.keys import explain, key_material, step_key
from repro.runner.run import RunOptions, StepEvent, _literal_defaults, _Session, now_iso
from repro.runner.targets import Target

__all__ = [
    "PLAN_FORMAT",
    "ArgoRun",
    "ArgoSecretsError",
    "LocalRemoteError",
    "PasswordInUrlError",
    "UnstorableOutputError",
    "plan_argo_run",
]

PLAN_FORMAT = "repro.argo-plan/v1"


class ArgoSecretsError(UsageError):
    def __init__(self, steps: list[str]) -> None:
        self.steps = steps
        super().__init__(
            f"step {', '.join(steps)} takes a secret parameter, and a manifest is stored "
            "where a cluster reads it; give the step its secret from a Kubernetes Secret "
            "(the pods' environment: [tool.repro.argo] credentials-secret) instead"
        )


class PasswordInUrlError(UsageError):
    def __init__(self, uri: str) -> None:
        self.uri = uri  # without its password
        super().__init__(
            f"dataset {uri} has a password in its URL, and the plan is stored where a cluster "
            "reads it; give the pods the credentials through the Secret instead"
        )


class UnstorableOutputError(UsageError):
    def __init__(self, step: str, type_name: str) -> None:
        self.step, self.type_name = step, type_name
        super().__init__(
            f"step {step!r} returns {type_name}, which no materializer stores (and pickle is "
            "off), and on argo every output travels through the remote store; register a "
            "materializer for it (repro.materialize.register) or return a storable value"
        )


class LocalRemoteError(UsageError):
    def __init__(self, remote: str, url: str) -> None:
        self.remote, self.url = remote, url
        super().__init__(
            f"remote {remote!r} is a folder on this machine ({url}), which pods on a cluster "
            "cannot reach; add an object store they can (`repro remote add NAME s3://...`) and "
            "name it in [tool.repro.argo] remote"
        )


@dataclass(frozen=True)
class ArgoRun:
    run_id: str
    plan: WorkflowPlan
    manifest: dict[str, Any]
    yaml: str
    pending: PendingArgoRun
    events: list[StepEvent]


def plan_argo_run(
    project: Project,
    target: Target,
    options: RunOptions,
    on_event: Callable[[StepEvent], None] = lambda event: None,
    *,
    work_root: str | None = None,
    git: GitRecord | None = None,
    cron: bool = False,
    fresh_id: bool = False,
) -> ArgoRun:
    """Plan ``target`` for the cluster, push what its pods read, and build
    its Workflow (or, with ``cron``, its CronWorkflow). A rendered plan's run
    id comes from the plan and the lock (the same bytes for the same lock);
    ``fresh_id`` gives a submitted one a new id of its own, as any run."""
    from repro.runner.run import git_record

    settings = load_argo_settings(project.root)
    remote = _cluster_remote(project, settings)
    session = _ArgoSession.for_target(project, target, options, on_event, work_root=work_root)
    record_git = git if git is not None else git_record(project, session.root)
    return session.plan(record_git, settings, remote, cron=cron, fresh_id=fresh_id)


def _refuse_unplannable(project: Project, graph: Any, root: str) -> None:
    """What cannot go to a cluster, before anything is snapshotted or pushed."""
    with_password = sorted(redact_url(uri) for uri in graph.datasets if redact_url(uri) != uri)
    if with_password:
        raise PasswordInUrlError(with_password[0])
    if not project.config.materialize.allow_pickle:
        _refuse_unstorable(graph, root)


def _refuse_unstorable(graph: Any, root: str) -> None:
    """A step annotated to return a class of the project's own that no
    materializer takes would fail on the cluster after its upstream steps
    ran: refused before anything is submitted. (A materializer the project
    registers may take any type: then the pods find out.)"""
    import sys
    import typing
    from pathlib import Path

    from repro.materialize.registry import builtin_materializers, default_registry

    builtin = {m.name for m in builtin_materializers()}
    if any(m.name not in builtin for m in default_registry().materializers()):
        return
    storable = (str, bytes, dict, list, tuple, int, float, bool, Path)
    real_root = os.path.realpath(root) + os.sep
    for name, node in graph.nodes.items():
        if node.kind != "python" or node.func is None or node.output_mode != "single":
            continue
        try:
            returned = typing.get_type_hints(node.func).get("return")
        except (NameError, TypeError):
            continue  # an annotation that does not resolve says nothing
        if not isinstance(returned, type) or issubclass(returned, storable):
            continue
        source = getattr(sys.modules.get(returned.__module__), "__file__", None)
        if source and os.path.realpath(source).startswith(real_root):
            raise UnstorableOutputError(name, returned.__qualname__)


def _cluster_remote(project: Project, settings: ArgoSettings) -> Any:
    from repro.config import is_local_url
    from repro.remotes import get_remote

    remote = get_remote(project.config, settings.remote)
    if is_local_url(remote.url):
        raise LocalRemoteError(remote.name, remote.url)
    return remote


class _ArgoSession(_Session):
    """A run session that decides what is cached and hands the rest to a
    cluster, instead of executing it."""

    # Per scheduled step, the (task, parameter) its `when` reads: set by _build.
    _when: dict[str, tuple[tuple[str, str], ...]]
    fresh_id = False

    def _keep(
        self, name: str, record: StepRecord, outputs: dict[str, Any], event: StepEvent
    ) -> None:
        # No journal: nothing executes here; the record is written by watch.
        self.records[name] = record
        self.outputs[name] = outputs
        self.events.append(event)
        self.on_event(event)

    def plan(
        self,
        git: GitRecord,
        settings: ArgoSettings,
        remote: Any,
        *,
        cron: bool = False,
        fresh_id: bool = False,
    ) -> ArgoRun:
        created = now_iso()
        previous = os.getcwd()
        try:
            _refuse_unplannable(self.project, self.graph, self.root)
            prepared = self.prepared = self._datasets()
            os.chdir(self.root)
            spec = self._plain_spec(prepared)
            scheduled = self._decide(prepared, use_cache=not cron)
            self.fresh_id = fresh_id
            return self._build(git, settings, remote, spec, prepared, scheduled, created, cron)
        finally:
            os.chdir(previous)
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _plain_spec(self, prepared: Mapping[str, Prepared]) -> RunSpec:
        from repro.runner.records import masked_spec, unmasked_values

        # Each pod is told its run: the plan is the same for the same pins.
        spec = self._run_spec(prepared, "")
        hidden = unmasked_values(spec, masked_spec(spec, self.graph, self.secrets))
        with_secret_args = sorted(name for name, values in hidden.items() if values["args"])
        if with_secret_args:
            raise ArgoSecretsError(with_secret_args)
        return spec

    def _decide(self, prepared: Mapping[str, Prepared], *, use_cache: bool) -> dict[str, str]:
        """Cached steps recorded as such; the others (step -> why it runs)
        are the workflow's tasks."""
        scheduled: dict[str, str] = {}
        for name in _topological(self.graph.nodes):
            node = self.graph.nodes[name]
            self.code_files.update(self.code[name].files)
            unmet = [up for up in node.upstream if up in self.unmet]
            if unmet:
                self.unmet.add(name)
                reason = f"upstream step {unmet[0]!r} was skipped: {self.records[unmet[0]].reason}"
                self._skip(name, node, reason)
                continue
            if any(up in scheduled for up in node.upstream):
                ups = sorted(up for up in node.upstream if up in scheduled)
                scheduled[name] = f"upstream step {', '.join(map(repr, ups))} runs"
                continue
            if node.conditions and self._unmet_now(name, node):
                continue
            _, oids, sources = self._inputs(node, prepared)
            key = step_key(node, oids, self.root, self.algorithm, self.code[name])
            self.modules.update(key.modules)
            entry = self._cached(node, key) if use_cache else None
            if entry is not None:
                self._use_cached(name, node, key, entry)
                continue
            if not use_cache or not self.options.use_cache or not node.cache:
                why = ["cache disabled"]
            else:
                why = explain(name, node, key, self.locked, sources)
                why = why or ["no stored result for this cache key here"]
            scheduled[name] = "; ".join(why)
        return scheduled

    def _unmet_now(self, name: str, node: Node) -> bool:
        """A condition whose step is cached is decided here: false, the step
        is skipped and never scheduled."""
        state, why = self._conditions(node)
        if state == "skip":
            raise ConditionNotBoolError(name, why)
        if state == "unmet":
            self.unmet.add(name)
            self._skip(name, node, why)
        return state == "unmet"

    def _build(
        self,
        git: GitRecord,
        settings: ArgoSettings,
        remote: Any,
        spec: RunSpec,
        prepared: Mapping[str, Prepared],
        scheduled: dict[str, str],
        created: str,
        cron: bool,
    ) -> ArgoRun:
        from repro.argo.manifest import cron_workflow_manifest, dump_yaml, workflow_manifest

        if not scheduled:
            locked = self.locked.run if self.locked else None
            raise NothingToScheduleError(self.pipeline.name, self.events, locked)
        code_tree = _code_tree(self.root, self.store, self.algorithm)
        # A schedule reads its URL datasets as they are when it fires.
        urls = sorted(uri for uri, dataset in self.graph.datasets.items() if dataset.is_remote)
        fresh = tuple(urls) if cron else ()
        plan_doc = {"format": PLAN_FORMAT, "spec": json.loads(spec.to_json()), "code": code_tree}
        if fresh:
            plan_doc["fresh"] = list(fresh)
        plan_oid = self.store.write(json.dumps(plan_doc, sort_keys=True).encode())
        lock_hash = self._lock_hash()
        if not self.fresh_id:  # else the id made when the session began
            self.run_id = self._derived_id(plan_oid, lock_hash, git.commit)
        names = task_names(scheduled)
        self._when = self._when_clauses(scheduled, names)
        tasks = tuple(self._task(name, names, fresh) for name in scheduled)
        _push(self.store, remote, self._objects_for_pods(plan_oid, code_tree, prepared, tasks))
        plan = WorkflowPlan(
            run_id=self.run_id,
            pipeline=self.pipeline.name,
            plan_oid=plan_oid,
            remote=ArgoRemote(redact_url(remote.url), _shareable(remote.options), self.algorithm),
            tasks=tasks,
            commit=git.commit,
            snapshots={uri: p.snapshot.oid for uri, p in sorted(prepared.items())},
            lock_hash=lock_hash,
            replay_of=self.options.replay_of,
            fresh_data=fresh,
        )
        if cron:
            schedules = settings.schedules.get(self.pipeline.name) or self.pipeline.schedules
            if not schedules:
                raise NoScheduleError(self.pipeline.name)
            manifest = cron_workflow_manifest(plan, settings, schedules)
        else:
            manifest = workflow_manifest(plan, settings)
        pending = self._pending(git, prepared, scheduled, names, created, plan, manifest, remote)
        if cron:
            # Each Workflow the schedule starts is recorded from this
            # (`repro argo collect`); none is locked: they ran an older commit.
            pending = replace(pending, update_lock=False, data_task=DATA_TASK if fresh else None)
            cron_name = manifest["metadata"]["name"]
            save_cron_template(self.project.repro_dir, cron_name, plan.plan_oid, pending)
        else:
            save_pending(self.project.repro_dir, pending)
        return ArgoRun(self.run_id, plan, manifest, dump_yaml(manifest), pending, self.events)

    def _lock_hash(self) -> str | None:
        from repro.hashing import get_algorithm
        from repro.runner.lockfile import LOCK_FILE

        try:
            with open(os.path.join(self.project.root, LOCK_FILE), "rb") as file:
                data = file.read()
        except FileNotFoundError:
            return None
        return str(get_algorithm(self.algorithm).hexdigest(data))

    def _derived_id(self, plan_oid: str, lock_hash: str | None, commit: str | None) -> str:
        """From the plan and the lock: a replay gets its own (its plan
        differs by the replayed run), and so does the next plan of a lock
        that moved on. Its time is the locked run's, else the commit's."""
        import time

        from repro.hashing import get_algorithm
        from repro.lineage.runs import derived_run_id, run_id_time

        if self.locked:
            stamp = run_id_time(self.locked.run)
        elif commit:
            stamp = _commit_time_ms(self.root, commit)
        else:
            stamp = time.time_ns() // 1_000_000
        seed = f"{plan_oid}:{lock_hash}:{self.options.replay_of}:{sorted(self.records)}"
        return derived_run_id(stamp, get_algorithm(self.algorithm).hexdigest(seed.encode()))

    def _when_clauses(
        self, scheduled: Mapping[str, str], names: Mapping[str, str]
    ) -> dict[str, tuple[tuple[str, str], ...]]:
        """Per task, the outputs that must be true: its own conditions on
        scheduled steps and its scheduled ancestors' (a task after a skipped
        one is skipped too, as it would be here)."""
        from repro.argo.plan import condition_parameter

        when: dict[str, tuple[tuple[str, str], ...]] = {}
        for name in scheduled:
            node = self.graph.nodes[name]
            own = {
                (names[c.step], condition_parameter(self.graph.nodes[c.step].outputs, c.output))
                for c in node.conditions
                if c.step in names
            }
            inherited = {w for up in node.upstream if up in names for w in when[up]}
            when[name] = tuple(sorted(own | inherited))
        return when

    def _condition_outputs(self, name: str, names: Mapping[str, str]) -> tuple[str, ...]:
        read = {
            c.output
            for other in names
            for c in self.graph.nodes[other].conditions
            if c.step == name
        }
        return tuple(o for o in self.graph.nodes[name].outputs if o in read)

    def _task(self, name: str, names: Mapping[str, str], fresh: tuple[str, ...]) -> TaskPlan:
        from repro.argo.plan import output_parameter

        node = self.graph.nodes[name]
        bindings = []
        for argument, value in sorted(node.args.items()):
            if not isinstance(value, OutputRef):
                continue
            if value.step in names:
                upstream = self.graph.nodes[value.step].outputs
                parameter = output_parameter(tuple(upstream), value.output)
                bindings.append(InputBinding(argument, task=names[value.step], parameter=parameter))
            else:
                artifact = self.outputs[value.step][value.output]
                bindings.append(InputBinding(argument, value=json.dumps(artifact, sort_keys=True)))
        assert node.image is not None  # pinned for argo before planning
        limits = node.limits
        return TaskPlan(
            step=name,
            task=names[name],
            image=node.image,
            depends=tuple(sorted(names[up] for up in node.upstream if up in names)),
            inputs=tuple(bindings),
            outputs=tuple(node.outputs),
            retries=limits.retries,
            timeout=int(limits.timeout + 0.999) if limits.timeout else None,
            cpus=limits.cpus,
            memory=limits.memory,
            data=tuple(
                (argument, fresh.index(value.uri))
                for argument, value in sorted(node.args.items())
                if isinstance(value, DatasetRef) and value.uri in fresh
            ),
            when=self._when[name],
            condition_outputs=self._condition_outputs(name, names),
        )

    def _objects_for_pods(
        self,
        plan_oid: str,
        code_tree: str,
        prepared: Mapping[str, Prepared],
        tasks: tuple[TaskPlan, ...],
    ) -> tuple[set[str], set[str]]:
        """(blobs, trees) the pods read: the plan, the code, the data, and
        the outputs of cached steps that scheduled ones take."""
        from repro.runner.closure import tree_blobs

        blobs, trees = {plan_oid}, {code_tree}
        for p in prepared.values():
            (blobs if p.snapshot.mode == "reference" else trees).add(p.snapshot.oid)
        for task in tasks:
            for binding in task.inputs:
                if binding.value is not None:
                    artifact = json.loads(binding.value)
                    (trees if artifact.get("kind") == "tree" else blobs).add(artifact["oid"])
        blobs |= tree_blobs(self.store, trees)
        return blobs, trees

    def _pending(
        self,
        git: GitRecord,
        prepared: Mapping[str, Prepared],
        scheduled: dict[str, str],
        names: Mapping[str, str],
        created: str,
        plan: WorkflowPlan,
        manifest: dict[str, Any],
        remote: Any,
    ) -> PendingArgoRun:
        draft = self._record(created, git, prepared, "failed")
        fresh = set(plan.fresh_data)
        steps = {
            name: self._pending_step(name, names[name], why, fresh)
            for name, why in scheduled.items()
        }
        return PendingArgoRun(
            run_id=self.run_id,
            workflow=manifest["metadata"]["name"],
            namespace=manifest["metadata"].get("namespace", "default"),
            remote=remote.name,
            plan=plan.plan_oid,
            draft=json.loads(json.dumps(draft.to_json_dict())),
            steps=steps,
            code_files=dict(self.code_files),
            defaults=self.defaults,
            static=_literal_defaults(self.pipeline.func)
            and not any(code.volatile for code in self.code.values()),
            model=asdict(self.pipeline.model) if self.pipeline.model else None,
            update_lock=self.options.update_lock,
            unmet=sorted(self.unmet),
        )

    def _pending_step(self, name: str, task: str, why: str, fresh: set[str]) -> PendingStep:
        node = self.graph.nodes[name]
        material = key_material(node, self.root, self.algorithm, self.code[name])
        args: dict[str, Any] = {}
        for argument, value in node.args.items():
            if isinstance(value, OutputRef):
                args[argument] = {"output": [value.step, value.output]}
            elif isinstance(value, DatasetRef):
                args[argument] = {"dataset": self.prepared[value.uri].snapshot.oid}
        return PendingStep(
            task=task,
            position=self._position(name),
            material=material.to_dict(),
            args=args,
            reason=why,
            command=self._command(node),
            upstream=node.upstream,
            cache=node.cache,
            tags=dict(node.tags),
            conditional=bool(self._when.get(name)),
            fresh={
                argument: redact_url(value.uri)
                for argument, value in node.args.items()
                if isinstance(value, DatasetRef) and value.uri in fresh
            },
        )


class ConditionNotBoolError(ReproError, TypeError):
    def __init__(self, step: str, why: str) -> None:
        self.step = step
        super().__init__(f"step {step!r}: {why}; a repro.when condition must be a bool output")


class NothingToScheduleError(ReproError):
    def __init__(
        self, pipeline: str, events: list[StepEvent] | None = None, locked: str | None = None
    ) -> None:
        self.pipeline, self.events, self.locked = pipeline, events or [], locked
        super().__init__(
            f"every step of {pipeline!r} is cached: nothing to run on the cluster "
            "(`repro replay RUN --backend argo` runs a recorded run again, cache off)"
        )


class NoScheduleError(UsageError):
    def __init__(self, pipeline: str) -> None:
        self.pipeline = pipeline
        super().__init__(
            f'pipeline {pipeline!r} has no schedule: give @pipeline(schedule="0 3 * * *") '
            f'or [tool.repro.argo.schedules] {pipeline} = "..." in pyproject.toml'
        )


def _shareable(options: Mapping[str, Any]) -> dict[str, Any]:
    """The remote's storage options without its credentials (a local
    config may hold them): a manifest is committed and stored on the
    cluster, and the pods take credentials from the Secret."""
    from repro.config import credential_options

    return {
        key: _shareable(value) if isinstance(value, dict) else value
        for key, value in options.items()
        if isinstance(value, dict) or not credential_options({key: value})
    }


def _commit_time_ms(root: str, commit: str) -> int:
    from repro.git.command import open_workdir

    return int(open_workdir(root).check("show", "-s", "--format=%ct", commit).strip()) * 1000


def _topological(nodes: Mapping[str, Node]) -> list[str]:
    order: list[str] = []
    done: set[str] = set()
    remaining = list(nodes)
    while remaining:
        ready = [n for n in remaining if all(up in done for up in nodes[n].upstream)]
        for name in ready:
            order.append(name)
            done.add(name)
            remaining.remove(name)
    return order


def _code_tree(root: str, store: Any, algorithm: str) -> str:
    """The files Git tracks, as they are in the work tree, as a tree in the
    store: what a pod checks out to run in (a file never added stays here)."""
    from repro.git import work_tree_files
    from repro.snapshot import snapshot

    staging = tempfile.mkdtemp(prefix="repro-code-")
    try:
        for relative in work_tree_files(root):
            target = os.path.join(staging, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            source = os.path.join(root, relative)
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
        return snapshot(staging, algorithm=algorithm, store=store).oid
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _push(store: Any, remote: Any, objects: tuple[set[str], set[str]]) -> None:
    from repro.remotes import remote_errors
    from repro.runner.sync import CorruptObjectsError, ObjectsMissingError
    from repro.store.transfer import transfer

    blobs, trees = objects
    with remote_errors(remote):
        report = transfer(store, remote.store(store.algorithm.name), [blobs, trees])
    if report.corrupt:
        raise CorruptObjectsError("the local cache", sorted(report.corrupt))
    if report.absent:
        raise ObjectsMissingError(f"remote {remote.name!r}", ["(argo plan)"], len(report.absent))
