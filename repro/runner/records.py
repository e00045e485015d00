"""Building what a run writes: the spec handed to backends, step records,
model versions and the lock entry, and putting a cached shell step's outs
back in the work tree. Pure functions of the session's results."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from repro.backends.spec import RunSpec, StepSpec
from repro.lineage.lock import LockedPipeline, LockedStep
from repro.lineage.records import (
    ArtifactRecord,
    InputSnapshot,
    ModelVersion,
    RunRecord,
    StepRecord,
    StepStatus,
)
from repro.lineage.redact import is_secret_name, redact_params, redact_url, redact_value, scrub
from repro.pipelines.data import Model
from repro.pipelines.graph import DatasetRef, Graph, Literal, Node, OutputRef
from repro.runner.keys import StepKey
from repro.store import ObjectStore

__all__ = [
    "MODEL_MATERIALIZERS",
    "kept_notes",
    "lock_entry",
    "masked_spec",
    "model_versions",
    "redacted",
    "restore_outs",
    "secret_values",
    "shown_command",
    "step_record",
    "step_spec",
    "unmasked_values",
    "untraced_warning",
]

MODEL_MATERIALIZERS = ("sklearn.skops", "pickle")


def model_versions(
    model: Model | None, outputs: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> list[ModelVersion]:
    """The output ``model`` names (by default the last one stored by an
    estimator materializer) as a version of the model."""
    if model is None:
        return []
    candidates = [
        (step, output, artifact)
        for step, outs in outputs.items()
        for output, artifact in outs.items()
        if (model.step is None or model.step == step)
        and (model.output is None or model.output == output)
        and (model.step is not None or artifact["materializer"] in MODEL_MATERIALIZERS)
    ]
    if not candidates:
        return []
    step, output, artifact = candidates[-1]
    return [ModelVersion(name=model.name, version=artifact["oid"], step=step, output=output)]


def lock_entry(
    record: RunRecord,
    record_oid: str,
    code_files: Mapping[str, str],
    defaults: dict[str, Any],
    static: bool,
    unmet: frozenset[str] = frozenset(),
) -> LockedPipeline:
    """``unmet``: the steps skipped because a condition was false (not a
    failure; a later run skips them again while the condition holds)."""
    return LockedPipeline(
        run=record.id,
        record=record_oid,
        backend=record.backend,
        target=record.target,
        commit=record.git.commit,
        dirty=record.git.dirty,
        params=record.params,
        defaults=defaults,
        environment=record.environment,
        inputs=record.inputs,
        code_files=dict(sorted(code_files.items())),
        imports=record.imports,
        static=static,
        steps={
            name: LockedStep(
                kind=step.kind,
                cache=step.cache,
                cache_key=step.cache_key,
                fingerprints=step.fingerprints,
                outputs={o: a.oid for o, a in step.outputs.items()},
                image=step.image,
            )
            for name, step in record.steps.items()
            if step.cache_key is not None and step.fingerprints is not None
        },
        models=record.models,
        skipped={
            name: step.reason or ""
            for name, step in record.steps.items()
            if step.status == "skipped" and name in unmet
        },
    )


def redacted(snapshot: InputSnapshot) -> InputSnapshot:
    return snapshot.model_copy(update={"uri": redact_url(snapshot.uri)})


def step_spec(node: Node) -> StepSpec:
    args: dict[str, dict[str, Any]] = {}
    for key, value in node.args.items():
        if isinstance(value, OutputRef):
            args[key] = {"output": [value.step, value.output]}
        elif isinstance(value, DatasetRef):
            args[key] = {"dataset": value.uri}
        elif isinstance(value, Literal):
            args[key] = {"value": value.value}
    func = node.func
    return StepSpec(
        name=node.name,
        kind=node.kind,
        outputs=node.outputs,
        output_mode=node.output_mode,
        args=args,
        module=getattr(func, "__module__", None),
        qualname=getattr(func, "__qualname__", None),
        command=node.command,
        image=node.image,
        network=node.limits.network,
        cpus=node.limits.cpus,
        memory=node.limits.memory,
        timeout=node.limits.timeout,
    )


def secret_values(graph: Graph, params: Mapping[str, Any]) -> set[str]:
    """Values to mask wherever they might be echoed (error messages, shell
    commands built with f-strings): parameters of the pipeline and of its
    steps named like secrets, and environment variables named like them."""
    named = [
        (name, arg.value)
        for node in graph.nodes.values()
        for name, arg in node.args.items()
        if isinstance(arg, Literal)
    ]
    named += list(params.items()) + list(os.environ.items())
    return {
        str(value)
        for name, value in named
        if is_secret_name(name) and isinstance(value, str | int) and len(str(value)) >= 6
    }


def masked_spec(spec: RunSpec, graph: Graph, secrets: set[str]) -> RunSpec:
    """The spec as written to disk: secret parameters masked, URLs without
    their password."""
    steps = {
        name: replace(
            step,
            args={key: _masked_arg(key, arg) for key, arg in step.args.items()},
            command=scrub(shown_command(graph.nodes[name]), secrets),
        )
        for name, step in spec.steps.items()
    }
    datasets = {redact_url(uri): entry for uri, entry in spec.datasets.items()}
    return replace(spec, steps=steps, datasets=datasets)


def unmasked_values(spec: RunSpec, shown: RunSpec) -> dict[str, dict[str, Any]]:
    """Per step, what its masked copy on disk hides (argument values, the
    command), for a container backend to hand over in its environment."""
    hidden: dict[str, dict[str, Any]] = {}
    for name, step in spec.steps.items():
        masked = shown.steps[name]
        args = {
            key: arg["value"] for key, arg in step.args.items() if masked.args[key].get("masked")
        }
        command = step.command if masked.command != step.command else None
        if args or command is not None:
            hidden[name] = {"args": args, "command": command}
    return hidden


def _masked_arg(key: str, arg: dict[str, Any]) -> dict[str, Any]:
    if "value" in arg:
        shown = redact_value(key, arg["value"])
        masked = {"masked": True} if shown != arg["value"] else {}
        return {"value": shown, **masked}
    if "dataset" in arg:
        return {"dataset": redact_url(arg["dataset"])}
    return arg


def shown_command(node: Node) -> str | None:
    """The command as a record may show it: parameters named like secrets
    masked, URLs without their password."""
    if node.command is None:
        return None
    params = {k: a.value for k, a in node.args.items() if isinstance(a, Literal)}
    if node.template is None or not params:
        return redact_url(node.command)
    return redact_url(node.template.format(**redact_params(params)))


def cache_entry(
    outputs: Mapping[str, Any],
    metrics: Mapping[str, float],
    run: str,
    duration: float | None,
    logged: Mapping[str, Any],
    discovered: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """What the step cache keeps of an executed step: a cached step is
    recorded from it, what it logged and the inputs it was seen to read
    included (left out when empty)."""
    entry = {"outputs": dict(outputs), "metrics": dict(metrics), "run": run, "duration": duration}
    extra = {**logged, "discovered": dict(discovered or {})}
    return entry | {key: value for key, value in extra.items() if value}


def untraced_warning(in_container: bool) -> str:
    """Said once per run whose shell steps nothing watched."""
    if in_container:
        return (
            "shell steps in containers are not traced: files they read or write "
            "without declaring them are not seen"
        )
    return (
        "no working strace here: files shell steps read or write without declaring "
        "them are not seen (install Debian's strace package)"
    )


def step_record(
    position: int,
    node: Node,
    key: StepKey,
    status: StepStatus,
    outputs: Mapping[str, Any],
    metrics: Mapping[str, float],
    *,
    reason: str | None,
    cached_from: str | None = None,
    started: str | None = None,
    duration: float | None = None,
    error: str | None = None,
    command: str | None = None,
    log: str | None = None,
    logged: Mapping[str, Any] | None = None,
) -> StepRecord:
    """``logged``: what the step reported (params, tags, artifacts), as a
    result or a cache entry holds it."""
    logged = logged or {}
    return StepRecord(
        position=position,
        kind=node.kind,
        cache=node.cache,
        status=status,
        cache_key=key.cache_key,
        fingerprints=key.fingerprints,
        code_files=key.code_files,
        upstream=node.upstream,
        outputs={name: ArtifactRecord(**artifact) for name, artifact in outputs.items()},
        metrics=dict(metrics),
        started=started,
        duration=duration,
        error=error,
        reason=reason,
        cached_from=cached_from,
        command=command,
        image=node.image,
        log=log,
        logged_params=dict(logged.get("params") or {}),
        tags={**node.tags, **(logged.get("tags") or {})},
        artifacts={k: ArtifactRecord(**a) for k, a in (logged.get("artifacts") or {}).items()},
    )


def restore_outs(
    store: ObjectStore, root: str, outputs: Mapping[str, Mapping[str, Any]], algorithm: str
) -> dict[str, str]:
    """Check a cached shell step's outs out again, as its downstream steps
    read them from the work tree. An out that differs (edited by hand) is
    stored first; returns those outs with the tree id that keeps them."""
    from repro.atomic import write_atomic
    from repro.snapshot import snapshot
    from repro.snapshot.checkout import checkout
    from repro.store import read_tree

    kept: dict[str, str] = {}
    for out, artifact in outputs.items():
        target = os.path.join(root, out)
        if os.path.exists(target):
            current = snapshot(target, algorithm=algorithm, store=store).oid
            if current == artifact["oid"]:
                continue
            kept[out] = current
        tree = read_tree(store, artifact["oid"])
        if artifact["materializer"] == "file":
            entry = tree.entries[0]
            write_atomic(target, store.read(entry.oid))
            os.chmod(target, 0o755 if entry.executable else 0o644)
        else:
            os.makedirs(target, exist_ok=True)
            checkout(store, tree, target, force=True)
    return kept


def edited_outs(
    store: ObjectStore, root: str, node: Node, recorded: Mapping[str, str], algorithm: str
) -> list[str]:
    """The outs the shell step ``node`` declares whose content in the work
    tree no run produced (``recorded``: out -> the tree id a run left
    there): edited by hand. An out that is absent, or holds what some run
    produced (left by a checkout of another commit), is not: restoring it
    loses nothing. Only declared outs are looked at, never a path a record
    names."""
    from repro.snapshot import snapshot

    edited = []
    for out in sorted(node.outputs):
        oid = recorded.get(out)
        target = os.path.join(root, out)
        if oid is None or not os.path.exists(target):
            continue
        current = snapshot(target, algorithm=algorithm).oid
        if current != oid and not store.exists(current):
            edited.append(out)
    return edited


def kept_notes(kept: Mapping[str, str]) -> list[str]:
    return [
        f"the previous {out} is kept as tree {oid} (repro checkout {oid} DEST)"
        for out, oid in sorted(kept.items())
    ]
