"""Use cases over recorded runs: list, show, diff, replay, step-exec,
schemas and checkout of a run. Each returns data; nothing prints."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from repro.errors import ReproError
from repro.project import find_project

__all__ = [
    "checkout_run",
    "diff_runs",
    "exec_step",
    "json_schema",
    "list_runs",
    "replay_and_verify",
    "show_run",
]


def list_runs(pipeline: str | None) -> list[dict[str, Any]]:
    from repro.lineage.runs import RunIndex

    rows = []
    for record in RunIndex(find_project().repro_dir).records():
        if pipeline is not None and record.pipeline != pipeline:
            continue
        rows.append(
            {
                "id": record.id,
                "pipeline": record.pipeline,
                "status": record.status,
                "commit": record.git.commit,
                "dirty": record.git.dirty,
                "created": record.created,
                "replay_of": record.replay_of,
            }
        )
    return rows


def _load(run: str) -> Any:
    from repro.lineage.runs import RunIndex

    index = RunIndex(find_project().repro_dir)
    return index.load(index.resolve(run))


def show_run(run: str) -> dict[str, Any]:
    record = _load(run)
    result: dict[str, Any] = record.to_json_dict()
    result["steps"] = {name: result["steps"][name] for name, _ in record.ordered_steps()}
    return result


def _flatten(record: Any) -> dict[str, Any]:
    flat: dict[str, Any] = {
        "pipeline": record.pipeline,
        "commit": record.git.commit,
        "dirty": record.git.dirty,
        "environment": record.environment.oid,
    }
    flat.update({f"param.{k}": json.dumps(v, sort_keys=True) for k, v in record.params.items()})
    flat.update({f"data.{uri}": snap.oid for uri, snap in record.inputs.items()})
    for name, step in record.ordered_steps():
        flat[f"step.{name}"] = step.status
        flat.update({f"metric.{name}.{k}": v for k, v in step.metrics.items()})
        flat.update({f"output.{name}.{k}": a.oid for k, a in step.outputs.items()})
    return flat


def diff_runs(first: str, second: str) -> list[dict[str, Any]]:
    a, b = _flatten(_load(first)), _flatten(_load(second))
    return [
        {"key": key, "a": a.get(key), "b": b.get(key), "same": a.get(key) == b.get(key)}
        for key in sorted(set(a) | set(b), key=_order)
    ]


def _order(key: str) -> tuple[int, str]:
    prefixes = (
        "pipeline",
        "commit",
        "dirty",
        "environment",
        "param.",
        "data.",
        "metric.",
        "step.",
        "output.",
    )
    rank = next((i for i, p in enumerate(prefixes) if key.startswith(p)), len(prefixes))
    return rank, key


def replay_and_verify(
    run: str,
    params: dict[str, Any],
    *,
    jobs: int | None,
    keep: bool,
    on_event: Callable[[Any], None],
    backend: str | None = None,
    on_log: Callable[[str, str], None] | None = None,
) -> Any:
    from repro.cli.usecases import check_backend, default_jobs
    from repro.runner.replay import replay_run

    if backend is not None:
        check_backend(backend)
    project = find_project()
    jobs = jobs or default_jobs(project)
    return replay_run(
        project,
        run,
        params=params,
        jobs=jobs,
        keep=keep,
        on_event=on_event,
        backend=backend,
        on_log=on_log,
    )


class UnknownStepError(ReproError, LookupError):
    def __init__(self, run: str, step: str, known: list[str]) -> None:
        super().__init__(f"run {run} has no step {step!r} (steps: {', '.join(known)})")


def exec_step(
    run: str,
    step: str,
    inputs_file: str | None,
    *,
    work_root: str | None = None,
    scratch_tree: bool = False,
) -> Any:
    """Execute one step of a planned run, its inputs taken from ``inputs_file``
    or from the finished upstream steps in the run's journal. A container
    backend passes the step's masked values in REPRO_STEP_SECRETS, and
    ``scratch_tree`` runs a shell step in a writable mirror of a read-only
    project."""
    from repro.backends.execute import ExecutionContext, execute_step
    from repro.backends.spec import RunSpec
    from repro.lineage.runs import RunIndex

    project = find_project()
    index = RunIndex(project.repro_dir)
    run = index.resolve(run, planned=True)
    with open(os.path.join(index.folder, f"{run}.spec"), encoding="utf-8") as file:
        spec = RunSpec.from_json(file.read())
    if step not in spec.steps:
        raise UnknownStepError(run, step, list(spec.steps))
    spec = _with_secrets(spec, step, os.environ.get("REPRO_STEP_SECRETS"))
    _refuse_masked(run, spec.steps[step])
    inputs = _inputs(index, run, spec.steps[step].args, inputs_file)
    import shutil
    import tempfile

    scratch = tempfile.mkdtemp(prefix=f"repro-{run}-{step}-")
    try:
        store = project.store()
        spec = _stage_remote_data(spec, store, scratch)
        root = os.path.abspath(work_root) if work_root else project.root
        if scratch_tree and spec.steps[step].kind == "shell":
            from repro.backends.mirror import mirror_tree

            root = mirror_tree(root, os.path.join(scratch, "tree"))
        context = ExecutionContext(root, store, scratch)
        return execute_step(spec, spec.steps[step], inputs, context)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _inputs_from_file(path: str, args: dict[str, Any]) -> dict[str, Any]:
    from repro.errors import UsageError

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


class MaskedSpecError(ReproError):
    def __init__(self, run: str, step: str) -> None:
        super().__init__(
            f"step {step!r} of run {run} has a secret parameter, masked in the stored spec; "
            "run it with `repro run` (secrets are never written to disk)"
        )


def _with_secrets(spec: Any, step: str, given: str | None) -> Any:
    from dataclasses import replace

    from repro.errors import UsageError

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
        raise UsageError(f"REPRO_STEP_SECRETS: not the values of step {step!r} ({exc})") from exc
    steps = {**spec.steps, step: replace(spec.steps[step], args=args, command=command)}
    return replace(spec, steps=steps)


def _refuse_masked(run: str, step: Any) -> None:
    from repro.lineage.redact import REDACTED

    masked = any(arg.get("masked") for arg in step.args.values())
    if masked or (step.command is not None and REDACTED in step.command):
        raise MaskedSpecError(run, step.name)


def _stage_remote_data(spec: Any, store: Any, scratch: str) -> Any:
    """URL datasets of the run, copied from the store (the run's own copy
    went with its scratch folder)."""
    from dataclasses import replace

    from repro.runner.datasets import write_tree_files
    from repro.store import read_tree

    datasets = {}
    for uri, entry in spec.datasets.items():
        if "://" in uri and not uri.startswith("file://"):
            path = os.path.join(scratch, "data", entry["oid"])
            write_tree_files(store, entry["oid"], path)
            entries = read_tree(store, entry["oid"]).entries
            if len(entries) == 1 and not uri.endswith("/"):
                path = os.path.join(path, entries[0].path)
            entry = {**entry, "path": path}
        datasets[uri] = entry
    return replace(spec, datasets=datasets)


def json_schema(which: str) -> dict[str, Any]:
    if which == "run":
        from repro.lineage.records import RunRecord

        return RunRecord.model_json_schema(by_alias=True)
    from repro.lineage.lock import LockFile

    return LockFile.model_json_schema(by_alias=True)


def checkout_run(run: str, dest: str | None, *, force: bool) -> dict[str, Any]:
    """Restore a run's data snapshots where it read them and write its
    outputs under ``dest`` (default ``outputs/RUN``), one file or folder per
    output: ``DEST/STEP/OUTPUT``."""
    from repro.runner.datasets import restore_dataset
    from repro.snapshot.checkout import checkout
    from repro.store import read_tree

    project = find_project()
    store = project.store()
    record = _load(run)
    restored = [
        restore_dataset(store, project.root, snap, force=force) for snap in record.inputs.values()
    ]
    folder = os.path.abspath(dest or os.path.join(project.root, "outputs", record.id))
    written = []
    for name, step in record.steps.items():
        for output, artifact in step.outputs.items():
            target = os.path.join(folder, name, output.replace("/", "_"))
            if artifact.kind == "tree":
                os.makedirs(target, exist_ok=True)
                checkout(store, read_tree(store, artifact.oid), target, force=True)
            else:
                from repro.atomic import write_atomic

                write_atomic(target, store.read(artifact.oid))
            written.append(os.path.relpath(target))
    return {"run": record.id, "data": restored, "outputs": written, "folder": folder}
