"""``repro run``: plan the DAG against the step cache, hand ready steps to a
backend, write each result the moment it arrives, then the record and the
lock."""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from repro import __version__
from repro.atomic import write_atomic
from repro.backends.spec import RunSpec, StepResult
from repro.errors import ReproError
from repro.lineage.lock import LockedPipeline, LockFile
from repro.lineage.records import (
    GitRecord,
    InputSnapshot,
    ModelVersion,
    RunRecord,
    RunStatus,
    StepRecord,
)
from repro.lineage.redact import redact_params, redact_url, scrub
from repro.lineage.runs import RunIndex, new_run_id
from repro.pipelines.graph import DatasetRef, Graph, Node, OutputRef
from repro.project import Project
from repro.runner.datasets import Prepared, escapes, snapshot_dataset, stage_snapshot
from repro.runner.fastpath import discovered_id
from repro.runner.images import CONTAINER_BACKENDS, declared_by_digest, pin_step_images
from repro.runner.keys import (
    StepKey,
    code_of,
    discovered_reason,
    explain,
    import_digests,
    package_versions,
    pipeline_files,
    step_key,
    with_discovered,
    with_import_reads,
)
from repro.runner.lockfile import load_lock, save_lock
from repro.runner.records import (
    cache_entry,
    edited_outs,
    kept_notes,
    lock_entry,
    masked_spec,
    model_versions,
    redacted,
    restore_outs,
    secret_values,
    shown_command,
    step_record,
    step_spec,
    unmasked_values,
    untraced_warning,
)
from repro.runner.stepcache import StepCache, discovered_changes
from repro.runner.targets import Target, load_graph

if TYPE_CHECKING:
    from repro.reads import Reads

__all__ = [
    "RunInterruptedError",
    "RunOptions",
    "RunOutcome",
    "StepEvent",
    "mirror",
    "run_target",
    "write_lock_entry",
]


class RunInterruptedError(ReproError):
    """Ctrl-C: the run is recorded as interrupted; its finished steps are
    kept for the next run."""

    exit_code = 130

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(f"interrupted; run {run_id} recorded, finished steps kept")


@dataclass(frozen=True)
class StepEvent:
    step: str
    status: str
    reasons: list[str]
    duration: float | None = None
    error: str | None = None
    # What the user must hear even without --explain: bytes of theirs that
    # were moved aside (an out edited by hand, kept in the store).
    notes: list[str] = field(default_factory=list)


@dataclass
class RunOptions:
    params: Mapping[str, Any] = field(default_factory=dict)
    jobs: int = 1
    use_cache: bool = True
    backend: str = "local"
    update_lock: bool = True
    replay_of: str | None = None
    # A replay reads URL datasets from the recorded snapshots, not the source.
    pinned_inputs: Mapping[str, InputSnapshot] = field(default_factory=dict)
    # ... and runs each step in the image the record pinned (step -> image).
    pinned_images: Mapping[str, str | None] = field(default_factory=dict)
    # Each line a container step prints, as (step, line), as it comes.
    on_log: Callable[[str, str], None] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)  # the run's own (`--tag`)
    # A line for the user that is not an error (a run not mirrored to MLflow).
    on_warning: Callable[[str], None] = lambda line: None
    # A replay registers the model versions it made only when asked: it
    # re-made a version that its original registered.
    register: bool = True
    # False: the caller mirrors the record itself, once it is final (a
    # replay, after its verdict).
    mirror: bool = True


@dataclass
class RunOutcome:
    record: RunRecord
    events: list[StepEvent]
    # Every step was cached under the pins of the locked run, which stands:
    # this run was not recorded (a no-op writes nothing).
    repeats: str | None = None

    @property
    def ok(self) -> bool:
        return self.record.status == "succeeded"


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def run_target(
    project: Project,
    target: Target,
    options: RunOptions,
    on_event: Callable[[StepEvent], None] = lambda event: None,
    *,
    work_root: str | None = None,
    git: GitRecord | None = None,
) -> RunOutcome:
    """Run one pipeline. ``work_root`` is where code and data are read (a
    replay worktree; the project root by default)."""
    session = _Session.for_target(project, target, options, on_event, work_root=work_root)
    return session.run(git if git is not None else git_record(project, session.root))


def git_record(project: Project, root: str) -> GitRecord:
    from repro.git import NotInGitError, read_facts, uncommitted_diff

    try:
        facts = read_facts(root)
    except NotInGitError:
        return GitRecord(commit=None, branch=None, dirty=False)
    diff = None
    if facts.dirty:
        diff = project.store().write(uncommitted_diff(root))
    return GitRecord(commit=facts.commit, branch=facts.branch, dirty=facts.dirty, diff=diff)


class _Session:
    @classmethod
    def for_target(
        cls,
        project: Project,
        target: Target,
        options: RunOptions,
        on_event: Callable[[StepEvent], None],
        *,
        work_root: str | None = None,
    ) -> Self:
        """A session of ``target``'s DAG with ``options``' params, each step's
        image pinned for ``options.backend``."""
        root = work_root or project.root
        loaded = load_graph(
            root, target, options.params, also_forget=project.root if work_root else None
        )
        pipeline, params, graph = loaded.pipeline, loaded.params, loaded.graph
        by_digest = declared_by_digest(graph, root=root, default=getattr(pipeline, "image", None))
        floating = pin_step_images(
            graph,
            options.backend,
            root=root,
            default=getattr(pipeline, "image", None),
            recorded=options.pinned_images,
        )
        session = cls(project, root, target, pipeline, graph, params, options, on_event)
        session.note_import_reads(loaded.reads)
        session.floating_image = floating
        session.images_by_digest = by_digest
        return session

    def __init__(
        self,
        project: Project,
        root: str,
        target: Target,
        pipeline: Any,
        graph: Graph,
        params: Mapping[str, Any],
        options: RunOptions,
        on_event: Callable[[StepEvent], None],
    ) -> None:
        self.project, self.root, self.target = project, root, target
        self.pipeline, self.graph, self.options, self.on_event = pipeline, graph, options, on_event
        from repro.pipelines.definition import plain_params

        plain = plain_params(params)
        self.params = redact_params(plain)
        self.masked = sorted(k for k, v in plain.items() if self.params[k] != v)
        self.defaults = redact_params(plain_params(pipeline.resolve_params({})))
        self.algorithm = project.config.core.hash
        self.store = project.store()
        self.index = RunIndex(project.repro_dir)
        self.cache = StepCache(project.repro_dir)
        self.lock = lock = load_lock(project)
        self.locked = lock.pipelines.get(pipeline.name) if lock else None
        self.run_id = new_run_id()
        # Loaded artifacts and remote data go to a scratch folder outside
        # .repro/, where repro never reads data from.
        self.scratch = tempfile.mkdtemp(prefix=f"repro-{self.run_id}-")
        self.records: dict[str, StepRecord] = {}
        self.outputs: dict[str, dict[str, dict[str, Any]]] = {}
        self.events: list[StepEvent] = []
        # Every step's code is fingerprinted now, before any step runs: the
        # code that runs is the code imported now, whatever is edited later.
        self.code = {
            name: code_of(node, root, self.algorithm) for name, node in graph.nodes.items()
        }
        self.code_files = pipeline_files(root, self.algorithm)
        self.imports: dict[str, str | None] = {}
        self.secrets = secret_values(graph, plain_params(params))
        self.stat_cache = project.stat_cache()
        self.prepared: dict[str, Prepared] = {}
        self.modules: set[str] = set()
        self.failed: str | None = None
        self.unmet: set[str] = set()  # skipped because a condition was false
        self.floating_image = False  # a step's declared image is a floating `latest`
        self.said_untraced = False
        self.images_by_digest = False  # see images.declared_by_digest
        self.positions = {name: index for index, name in enumerate(graph.nodes)}

    def note_import_reads(self, reads: Reads) -> None:
        """The files read while the pipeline was imported and built: pinned
        for the run, and part of the key of each Python step whose modules
        read them."""
        self.imports = import_digests(
            self.root, reads, self.code_files, self.algorithm, self.stat_cache
        )
        self.code = {
            name: with_import_reads(code, self.graph.nodes[name].kind, reads, self.imports)
            for name, code in self.code.items()
        }

    def run(self, git: GitRecord) -> RunOutcome:
        created = now_iso()
        status: RunStatus = "failed"
        prepared: dict[str, Prepared] = {}
        # Steps run where the code and data are (the project, or a replay's
        # worktree), whatever folder the command was started in.
        previous = os.getcwd()
        try:
            prepared = self.prepared = self._datasets()
            os.chdir(self.root)
            self._schedule(self._spec(prepared), prepared)
            status = self._status()
        except KeyboardInterrupt as exc:
            status = "interrupted"
            raise RunInterruptedError(self.run_id) from exc
        finally:
            os.chdir(previous)
            shutil.rmtree(self.scratch, ignore_errors=True)
            if prepared or not self.graph.datasets:
                record = self._record(created, git, prepared, status)
                repeats = self._finish(record)
        return RunOutcome(record, self.events, repeats)

    def _datasets(self) -> dict[str, Prepared]:
        stat_cache = self.stat_cache
        staging = os.path.join(self.scratch, "data")
        pinned = self.options.pinned_inputs
        prepared = {}
        for uri, dataset in self.graph.datasets.items():
            recorded = pinned.get(redact_url(uri))
            if recorded is not None and (dataset.is_remote or escapes(self.root, uri)):
                prepared[uri] = stage_snapshot(self.store, recorded, staging, uri)
            else:
                prepared[uri] = snapshot_dataset(
                    self.root, dataset, self.algorithm, self.store, stat_cache, staging
                )
        return prepared

    def _run_spec(self, prepared: Mapping[str, Prepared], run_id: str) -> RunSpec:
        steps = {name: step_spec(node) for name, node in self.graph.nodes.items()}
        datasets = {
            uri: {"oid": p.snapshot.oid, "path": p.path}
            | ({"mode": "reference"} if p.snapshot.mode == "reference" else {})
            # A file's tree and a one-file folder's are the same tree: say which.
            | ({"kind": "file"} if p.snapshot.kind == "file" else {})
            for uri, p in prepared.items()
        }
        return RunSpec(
            run_id,
            self.pipeline.name,
            self.algorithm,
            self.project.config.materialize.allow_pickle,
            datasets,
            steps,
            repro=__version__,
        )

    def _spec(self, prepared: Mapping[str, Prepared]) -> RunSpec:
        spec = self._run_spec(prepared, self.run_id)
        # The copy on disk (for `repro step-exec`) has its secrets masked;
        # a container gets them from its environment.
        shown = masked_spec(spec, self.graph, self.secrets)
        self.step_secrets = unmasked_values(spec, shown)
        write_atomic(
            os.path.join(self.index.folder, f"{self.run_id}.spec"), shown.to_json().encode()
        )
        return spec

    def _schedule(self, spec: RunSpec, prepared: Mapping[str, Prepared]) -> None:
        from repro.backends.base import open_backend
        from repro.backends.execute import ExecutionContext

        context = ExecutionContext(
            self.root,
            self.store,
            os.path.join(self.scratch, "artifacts"),
            undeclared=self.project.config.run.undeclared,
        )
        backend = open_backend(
            self.options.backend,
            context=context,
            jobs=self.options.jobs,
            **self._backend_options(prepared),
        )
        pending = list(self.graph.nodes)
        running: dict[Future[StepResult], tuple[str, StepKey, list[str]]] = {}
        try:
            while pending or running:
                self._start_ready(pending, running, spec, prepared, backend)
                if not running:
                    break
                # Timed waits: a Ctrl-C delivered to a worker thread is only
                # acted on when the main thread wakes.
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    name, key, reasons = running.pop(future)
                    self._finished(name, key, reasons, future.result())
        except BaseException:
            backend.close(wait=False)
            raise
        backend.close()

    def _backend_options(self, prepared: Mapping[str, Prepared]) -> dict[str, Any]:
        if not self._in_container:
            return {}
        from repro.runner.containers import container_options

        return container_options(
            self.project,
            self.root,
            self.scratch,
            self.graph,
            prepared,
            secrets=self.step_secrets,
            on_log=self.options.on_log,
            scrub=self._scrub,
        )

    def _scrub(self, text: str) -> str:
        return scrub(text, self.secrets) or ""

    def _start_ready(
        self,
        pending: list[str],
        running: dict[Future[StepResult], tuple[str, StepKey, list[str]]],
        spec: RunSpec,
        prepared: Mapping[str, Prepared],
        backend: Any,
    ) -> None:
        progressed = True
        while progressed:
            progressed = False
            for name in list(pending):
                state, why_not = self._readiness(self.graph.nodes[name])
                if state == "wait":
                    continue
                pending.remove(name)
                progressed = True
                if state == "unmet":
                    self.unmet.add(name)
                    self._skip(name, self.graph.nodes[name], why_not)
                elif state == "skip":
                    self._skip(name, self.graph.nodes[name], why_not)
                else:
                    self._start(name, running, spec, prepared, backend)

    def _start(
        self,
        name: str,
        running: dict[Future[StepResult], tuple[str, StepKey, list[str]]],
        spec: RunSpec,
        prepared: Mapping[str, Prepared],
        backend: Any,
    ) -> None:
        """Reuse the stored result of the step's cache key, or hand the step
        to the backend."""
        node = self.graph.nodes[name]
        inputs, oids, sources = self._inputs(node, prepared)
        key = step_key(node, oids, self.root, self.algorithm, self.code[name])
        self.code_files.update(key.code_files)
        self.modules.update(key.modules)
        entry = self._cached(node, key)
        edited = self._edited(node, entry)
        if entry is not None and not edited:
            self._use_cached(name, node, key, entry)
            return
        if edited:
            # Restoring the stored result would undo the edit: run the step,
            # which keeps the edited bytes in the store first.
            why = [f"out {out} modified" for out in edited]
        elif not self.options.use_cache or not node.cache:
            why = ["cache disabled"]
        else:
            why = explain(name, node, key, self.locked, sources, self.imports)
            why = why or self._discovered_reasons(key)
            why = why or ["no stored result for this cache key here"]
        running[backend.submit(spec, spec.steps[name], inputs)] = (name, key, why)

    def _readiness(self, node: Node) -> tuple[str, str]:
        """("ready", ""), ("wait", ""), ("skip", why) or ("unmet", why): after
        a failure no new step starts (the running ones finish); a step whose
        condition is false, or that needs a step skipped so, is unmet."""
        stopped = f"not run: step {self.failed!r} failed" if self.failed else ""
        for upstream in node.upstream:
            record = self.records.get(upstream)
            if record is None:
                return ("skip", stopped) if stopped else ("wait", "")
            if upstream in self.unmet:
                return "unmet", f"upstream step {upstream!r} was skipped: {record.reason}"
            if record.status in ("failed", "skipped"):
                return "skip", f"upstream step {upstream!r} did not finish"
        if stopped:
            return "skip", stopped
        return self._conditions(node)

    def _conditions(self, node: Node) -> tuple[str, str]:
        """Each condition of the step is a true boolean, or why not."""
        from repro.materialize import Artifact, MaterializeOptions, load
        from repro.pipelines.conditions import condition_value

        options = MaterializeOptions(
            allow_pickle=self.project.config.materialize.allow_pickle,
            algorithm=self.algorithm,
            workdir=os.path.join(self.scratch, "conditions"),
        )
        for condition in node.conditions:
            artifact = self.outputs[condition.step][condition.output]
            value = load(Artifact.from_dict(artifact), self.store, options)
            which = (
                f"of step {condition.step!r}"
                if condition.output == "output"
                else f"output {condition.output!r} of step {condition.step!r}"
            )
            truth = condition_value(value)
            if truth is None:
                return "skip", f"the condition {which} is a {type(value).__name__}, not a bool"
            if not truth:
                return "unmet", f"the condition {which} is false"
        return "ready", ""

    def _inputs(
        self, node: Node, prepared: Mapping[str, Prepared]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, str]]:
        inputs: dict[str, dict[str, Any]] = {}
        oids: dict[str, str] = {}
        sources: dict[str, str] = {}
        for arg, value in node.args.items():
            if isinstance(value, OutputRef):
                artifact = self.outputs[value.step][value.output]
                inputs[arg] = artifact
                oids[arg] = artifact["oid"]
                sources[arg] = f"output {value.output!r} of step {value.step!r}"
            elif isinstance(value, DatasetRef):
                oids[arg] = prepared[value.uri].snapshot.oid
                sources[arg] = f"data {redact_url(value.uri)}"
        return inputs, oids, sources

    def _cached(self, node: Node, key: StepKey) -> dict[str, Any] | None:
        if not self.options.use_cache or not node.cache:
            return None
        return self.cache.get(key.cache_key, self.store, self._digest_of)

    def _digest_of(self, path: str) -> str | None:
        return discovered_id(self.root, path, self.algorithm, self.stat_cache)

    def _discovered_reasons(self, key: StepKey) -> list[str]:
        """Why the results stored under ``key`` do not hold: the newest one's
        discovered inputs that changed."""
        for entry in self.cache.entries(key.cache_key):
            changed = discovered_changes(entry.get("discovered") or {}, self._digest_of)
            then = entry.get("discovered") or {}
            return [discovered_reason(p, self._digest_of(p), then[p]) for p in changed]
        return []

    def _edited(self, node: Node, entry: Mapping[str, Any] | None) -> list[str]:
        """The outs of a cached shell step that were edited by hand."""
        if entry is None or node.kind != "shell":
            return []
        outputs = {out: artifact["oid"] for out, artifact in entry["outputs"].items()}
        return edited_outs(self.store, self.root, node, outputs, self.algorithm)

    def _use_cached(self, name: str, node: Node, key: StepKey, entry: dict[str, Any]) -> None:
        notes: list[str] = []
        if node.kind == "shell":
            kept = restore_outs(self.store, self.root, entry["outputs"], self.algorithm)
            notes = kept_notes(kept)
        key = with_discovered(key, entry.get("discovered") or {})
        record = step_record(
            self._position(name),
            node,
            key,
            "cached",
            entry["outputs"],
            entry.get("metrics", {}),
            reason=None,
            cached_from=entry.get("run"),
            command=self._command(node),
            logged=entry,
        )
        why = [f"unchanged since run {entry.get('run')}", *notes]
        self._keep(name, record, entry["outputs"], StepEvent(name, "cached", why, notes=notes))

    def _finished(self, name: str, key: StepKey, reasons: list[str], result: StepResult) -> None:
        node = self.graph.nodes[name]
        moved = self._moved_under(node, key) if result.status == "executed" else []
        if moved:
            # Its result may come from the new content, its key is of the old.
            result.status = "failed"
            result.error = f"{', '.join(moved)} changed while the step ran; run again"
        result.error = scrub(result.error, self.secrets)
        if node.kind == "shell" and result.status == "executed" and self._in_container:
            # A container wrote the outs in its own copy of the tree: the
            # downstream steps and the user find them here, as after a local run.
            result.kept.update(restore_outs(self.store, self.root, result.outputs, self.algorithm))
        kept = kept_notes(result.kept)
        reasons = [*reasons, *kept]
        key = with_discovered(key, self._discovered(key, result))
        writes = self._watch_notes(node, result)
        record = step_record(
            self._position(name),
            node,
            key,
            "executed" if result.status == "executed" else "failed",
            result.outputs,
            result.metrics,
            reason="; ".join(reasons),
            started=result.started,
            duration=result.duration,
            error=result.error,
            command=self._command(node),
            log=result.log,
            logged=_logged(result),
        )
        if result.status == "executed":
            self.cache.put(
                key.cache_key,
                cache_entry(
                    result.outputs,
                    result.metrics,
                    self.run_id,
                    result.duration,
                    _logged(result),
                    key.fingerprints.discovered,
                ),
            )
        edits = [reason for reason in reasons if reason.startswith("out ")]
        event = StepEvent(
            name, result.status, reasons, result.duration, result.error, [*edits, *kept, *writes]
        )
        self._keep(name, record, result.outputs, event)

    def _discovered(self, key: StepKey, result: StepResult) -> dict[str, str | None]:
        """The step's discovered inputs that its key does not cover already
        (its code, the import-time reads of its modules)."""
        if result.discovered is None:
            return {}
        covered = {*key.code_files, *key.fingerprints.imports}
        found = {p: oid for p, oid in result.discovered.items() if p not in covered}
        return found | package_versions(result.modules)

    def _watch_notes(self, node: Node, result: StepResult) -> list[str]:
        """What the user must hear of what the step's watch missed or saw:
        programs a Python step started (unwatched), writes outside its outs;
        once per run, that a shell step could not be traced."""
        if result.discovered is None and node.kind == "shell" and not self.said_untraced:
            self.said_untraced = True
            self.options.on_warning(untraced_warning(self._in_container))
        notes = []
        if result.processes:
            notes.append(
                f"started {', '.join(result.processes)}: files a program reads are not seen "
                "(a shell step's are traced)"
            )
        if result.undeclared_writes and result.status != "failed":
            notes.append(f"wrote outside its declared outs: {', '.join(result.undeclared_writes)}")
        return notes

    @property
    def _in_container(self) -> bool:
        return self.options.backend in CONTAINER_BACKENDS

    def _moved_under(self, node: Node, key: StepKey) -> list[str]:
        """What the step depends on that changed while it ran (its code, as
        fingerprinted, or a local dataset it read): its result cannot be told
        apart from the new content's, so it fails, as a build does when an
        input file changes under it."""
        from repro.snapshot import snapshot

        moved = []
        if code_of(node, self.root, self.algorithm).oid != key.fingerprints.code:
            moved.append(f"the code of step {node.name!r}")
        for arg in node.args.values():
            if not isinstance(arg, DatasetRef) or self.graph.datasets[arg.uri].is_remote:
                continue
            before = self.prepared[arg.uri]
            path = os.path.join(self.root, before.path)
            now = snapshot(path, algorithm=self.algorithm, stat_cache=self.stat_cache)
            if now.oid != before.snapshot.oid:
                moved.append(arg.uri)
        return moved

    def _position(self, name: str) -> int:
        return self.positions[name]

    def _skip(self, name: str, node: Node, why: str) -> None:
        record = StepRecord(
            position=self._position(name),
            kind=node.kind,
            status="skipped",
            cache_key=None,
            fingerprints=None,
            upstream=node.upstream,
            reason=why,
            command=self._command(node),
        )
        self._keep(name, record, {}, StepEvent(name, "skipped", [why]))

    def _command(self, node: Node) -> str | None:
        return scrub(shown_command(node), self.secrets)

    def _keep(
        self, name: str, record: StepRecord, outputs: dict[str, Any], event: StepEvent
    ) -> None:
        self.records[name] = record
        if record.status == "failed" and self.failed is None:
            self.failed = name
        self.outputs[name] = outputs
        self.events.append(event)
        self.index.append_journal(self.run_id, {"step": name, **record.model_dump(mode="json")})
        self.on_event(event)

    def _status(self) -> RunStatus:
        statuses = {
            record.status for name, record in self.records.items() if name not in self.unmet
        }
        return "failed" if statuses & {"failed", "skipped"} else "succeeded"

    def _record(
        self, created: str, git: GitRecord, prepared: Mapping[str, Prepared], status: RunStatus
    ) -> RunRecord:
        from repro.runner.keys import environment_record

        images = {node.image for node in self.graph.nodes.values()}
        image = images.pop() if len(images) == 1 else None
        env = environment_record(self.root, tuple(sorted(self.modules)), self.algorithm, image)
        return RunRecord(
            id=self.run_id,
            pipeline=self.pipeline.name,
            target=self.target.text,
            backend=self.options.backend,
            status=status,
            created=created,
            finished=now_iso(),
            git=git,
            environment=env,
            params=self.params,
            masked_params=self.masked,
            inputs={redact_url(uri): redacted(p.snapshot) for uri, p in prepared.items()},
            imports=self.imports,
            steps={n: self.records[n] for n in self.graph.nodes if n in self.records},
            models=self._models(status),
            replay_of=self.options.replay_of,
            tags=redact_params(dict(self.options.tags)),
        )

    def _models(self, status: RunStatus) -> list[ModelVersion]:
        if status != "succeeded" or not self.options.register:
            return []
        # In definition order, not completion order: the same run picks the
        # same output whatever ran first.
        ordered = {n: self.outputs[n] for n in self.graph.nodes if n in self.outputs}
        return model_versions(self.pipeline.model, ordered)

    def _finish(self, record: RunRecord) -> str | None:
        """Record the run, lock it, mirror it; or, when it repeats the locked
        run, leave no trace and return that run's id."""
        # The spec holds parameter values as given (secrets too): it is kept
        # (locally) only for a run that did not succeed, whose steps a user
        # may want to execute again with `repro step-exec`.
        spec = os.path.join(self.index.folder, f"{self.run_id}.spec")
        if record.status == "succeeded" and os.path.exists(spec):
            os.unlink(spec)
        if self._repeats_locked(record):
            assert self.locked is not None
            journal = os.path.join(self.index.folder, f"{self.run_id}.journal")
            if os.path.exists(journal):
                os.unlink(journal)
            return self.locked.run
        self._save(record)
        return None

    def _repeats_locked(self, record: RunRecord) -> bool:
        """Every step cached (or skipped as the locked run skipped it) under
        exactly the locked run's pins: that run stands for this one."""
        options = self.options
        if record.status != "succeeded" or not options.update_lock or self.locked is None:
            return False
        if options.replay_of or options.tags or not self.index.has(self.locked.run):
            return False
        settled = self.pipeline.name not in (self.lock.conflicts if self.lock else {})
        cached = all(
            step.status == "cached" or name in self.unmet for name, step in record.steps.items()
        )
        if not (settled and cached):
            return False
        entry = lock_entry(
            record,
            self.locked.record,
            self.code_files,
            self.defaults,
            self._static(),
            frozenset(self.unmet),
        )
        return _same_pins(self.locked, entry)

    def _save(self, record: RunRecord) -> None:
        data = self.index.save(record)
        record_oid = self.store.write(data)
        if record.status == "succeeded" and self.options.update_lock:
            self._write_lock(record, record_oid)
        # Last: a slow or unreachable server must not keep a run unlocked.
        if self.options.mirror:
            mirror(self.project, record, self.options.on_warning)

    def _static(self) -> bool:
        """The no-op fast path may judge this run's lock entry: an unchanged
        file proves unchanged defaults. A floating image is judged on the
        slow path, which refuses it under --frozen."""
        return (
            _literal_defaults(self.pipeline.func)
            and not any(code.volatile for code in self.code.values())
            and not self.floating_image
            and (not self._in_container or self.images_by_digest)
        )

    def _write_lock(self, record: RunRecord, record_oid: str) -> None:
        # The digests taken when the run started: the code that ran.
        write_lock_entry(
            self.project,
            record,
            record_oid,
            self.code_files,
            self.defaults,
            self._static(),
            frozenset(self.unmet),
        )


def mirror(project: Project, record: RunRecord, on_warning: Callable[[str], None]) -> None:
    """To MLflow, where configured: a server that is down costs the run
    nothing but a warning (`repro mlflow sync` retries)."""
    from repro.mirrors.mlflow import mirror_run

    warning = mirror_run(project, record).warning
    if warning:
        on_warning(warning)


def write_lock_entry(
    project: Project,
    record: RunRecord,
    record_oid: str,
    code_files: Mapping[str, str],
    defaults: dict[str, Any],
    static: bool,
    unmet: frozenset[str] = frozenset(),
) -> None:
    """Pin ``record`` as its pipeline's accepted run in repro.lock."""
    entry = lock_entry(record, record_oid, code_files, defaults, static, unmet)
    lock = load_lock(project) or LockFile()
    settled = record.pipeline not in lock.conflicts  # a merge conflict is rewritten
    if settled and _same_pins(lock.pipelines.get(record.pipeline), entry):
        # Every pin holds (all steps cached under the locked keys): the
        # locked run stands, and a committed lock stays committed.
        return
    save_lock(project, lock.with_pipeline(record.pipeline, entry))


def _logged(result: StepResult) -> dict[str, Any]:
    """What a step reported besides metrics, as its record and its cache
    entry keep it (absent when empty)."""
    found = {
        "params": redact_params(result.params),
        "tags": redact_params(result.tags),
        "artifacts": result.artifacts,
    }
    return {key: value for key, value in found.items() if value}


_RUN_FIELDS = {"run", "record", "commit", "dirty"}


def _same_pins(locked: LockedPipeline | None, entry: LockedPipeline) -> bool:
    if locked is None:
        return False
    return locked.model_dump(exclude=_RUN_FIELDS) == entry.model_dump(exclude=_RUN_FIELDS)


def _literal_defaults(func: Any) -> bool:
    """Every default of the pipeline is written out in its source (a
    literal, or ``Dataset("...")``/``Model("...")`` of literals), so that an
    unchanged file proves unchanged defaults."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    definition = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    defaults = [*definition.args.defaults, *definition.args.kw_defaults]
    return all(_is_literal(node) for node in defaults if node is not None)


def _is_literal(node: Any) -> bool:
    import ast

    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
        name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        parts = [*node.args, *(keyword.value for keyword in node.keywords)]
        return name in ("Dataset", "Model") and all(_is_literal(part) for part in parts)
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
