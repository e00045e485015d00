"""Use cases over recorded runs: show, logs, diff, replay,
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
    "json_schema",
    "replay_and_verify",
    "show_run",
    "step_log",
]


def _load(run: str) -> Any:
    from repro.lineage.runs import RunIndex

    index = RunIndex(find_project().repro_dir)
    return index.load(index.resolve(run))


def show_run(run: str) -> dict[str, Any]:
    record = _load(run)
    result: dict[str, Any] = record.to_json_dict()
    result["steps"] = {name: result["steps"][name] for name, _ in record.ordered_steps()}
    return result


class NoStepLogError(ReproError, LookupError):
    def __init__(self, run: str, step: str, reason: str) -> None:
        self.run, self.step = run, step
        super().__init__(f"run {run}, step {step!r}: {reason}")


def step_log(run: str, step: str) -> bytes:
    """What a container step printed, as kept with its run."""
    record = _load(run)
    found = record.steps.get(step)
    if found is None:
        raise NoStepLogError(record.id, step, f"no such step ({', '.join(record.steps)})")
    if found.log is None:
        raise NoStepLogError(
            record.id, step, "no log kept (it printed nothing, or ran on the local backend)"
        )
    data: bytes = find_project().store().read(found.log)
    return data


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
    on_warning: Callable[[str], None] = lambda line: None,
    register: bool = False,
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
        on_warning=on_warning,
        register=register,
    )


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
    from repro.safepaths import inside
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
            target = inside(folder, f"{name}/{output.replace('/', '_')}", "output")
            if artifact.kind == "tree":
                os.makedirs(target, exist_ok=True)
                checkout(store, read_tree(store, artifact.oid), target, force=True)
            else:
                from repro.atomic import write_atomic

                write_atomic(target, store.read(artifact.oid))
            written.append(os.path.relpath(target))
    return {"run": record.id, "data": restored, "outputs": written, "folder": folder}
