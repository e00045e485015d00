"""Executing one step of a run spec: the code shared by every backend (in
process for the local one; inside ``repro step-exec`` for containers)."""

from __future__ import annotations

import datetime
import os
import subprocess
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from repro.backends.discovery import Discovered, discover, modules_opened
from repro.backends.spec import RunSpec, StepResult, StepSpec
from repro.errors import ReproError
from repro.store import ObjectStore
from repro.tracking import StepContext, step_context
from repro.usercode import find_object, import_user_module

__all__ = ["ExecutionContext", "StepOutputError", "execute_step"]


class StepOutputError(ReproError):
    def __init__(self, step: str, reason: str) -> None:
        self.step = step
        super().__init__(f"step {step!r}: {reason}")


@dataclass(frozen=True)
class ExecutionContext:
    root: str  # the project work tree the step runs in
    store: ObjectStore
    workdir: str  # scratch space for loaded artifacts
    # Shell steps are traced where a tracer works; a step that writes
    # outside its outs is reported ("warn") or fails ("error").
    trace: bool = True
    undeclared: str = "warn"


def execute_step(
    run: RunSpec, step: StepSpec, inputs: Mapping[str, Mapping[str, Any]], ctx: ExecutionContext
) -> StepResult:
    """Run ``step``; ``inputs`` maps each output-argument to the artifact
    (as a dict) it receives. Whatever goes wrong with the step (its import,
    its inputs, its code, even a ``sys.exit``) comes back as a failed
    result, never raised: the run records it and keeps the other steps."""
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
    clock = time.perf_counter()
    result = StepResult(step.name, "executed", started=started)
    try:
        if step.kind == "shell":
            result.outputs = _run_shell(run, step, ctx, result)
        else:
            result.outputs, context = _run_python(run, step, inputs, ctx, result)
            result.metrics, result.params = dict(context.metrics), dict(context.params)
            result.tags, result.artifacts = dict(context.tags), dict(context.artifacts)
    except _StepFailedError as failed:
        result.status, result.error = "failed", failed.reason
    except ReproError as exc:  # the step's module failed to import, an input to load
        result.status, result.error = "failed", str(exc)
    result.duration = time.perf_counter() - clock
    if result.status == "executed" and ctx.undeclared == "error" and result.undeclared_writes:
        result.status = "failed"
        result.error = f"wrote outside its declared outs: {', '.join(result.undeclared_writes)}"
    return result


class _StepFailedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _options(run: RunSpec, ctx: ExecutionContext) -> Any:
    from repro.materialize import MaterializeOptions

    return MaterializeOptions(
        allow_pickle=run.allow_pickle, algorithm=run.algorithm, workdir=ctx.workdir
    )


def _arguments(
    run: RunSpec, step: StepSpec, inputs: Mapping[str, Mapping[str, Any]], ctx: ExecutionContext
) -> dict[str, Any]:
    from repro.materialize import Artifact, load

    values: dict[str, Any] = {}
    for key, arg in step.args.items():
        if "output" in arg:
            values[key] = load(Artifact.from_dict(inputs[key]), ctx.store, _options(run, ctx))
        elif "dataset" in arg:
            values[key] = Path(ctx.root, run.datasets[arg["dataset"]]["path"])
        else:
            values[key] = arg["value"]
    return values


def _run_python(
    run: RunSpec,
    step: StepSpec,
    inputs: Mapping[str, Mapping[str, Any]],
    ctx: ExecutionContext,
    result: StepResult,
) -> tuple[dict[str, dict[str, Any]], StepContext]:
    from repro.reads import recording_reads

    assert step.module and step.qualname

    def write_artifact(value: object) -> dict[str, Any]:
        from repro.materialize import dump

        return dump(value, ctx.store, _options(run, ctx)).to_dict()

    # Importing the module is the pipeline's import (its reads are the
    # run's import-time inputs); what the step's code opens is the step's.
    module = import_user_module(ctx.root, step.module)
    target = find_object(module, step.qualname, "step")
    func = cast(Callable[..., Any], getattr(target, "func", target))
    kwargs = _arguments(run, step, inputs, ctx)
    with recording_reads(ctx.root) as reads, step_context(step.name, write_artifact) as context:
        try:
            value = func(**kwargs)
        except (Exception, SystemExit) as exc:  # the step's own code: anything it raises
            raise _StepFailedError(_describe(exc)) from exc
    _note_accesses(result, discover(ctx.root, run, step, reads.read, reads.written))
    result.processes = sorted(reads.processes)
    return _dump_all(run, step, _split(step, value), ctx), context


def _note_accesses(result: StepResult, found: Discovered) -> None:
    result.discovered, result.undeclared_writes = found.inputs, found.writes


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = (
        f" ({os.path.basename(frames[-1].filename)}, line {frames[-1].lineno})" if frames else ""
    )
    return f"{type(exc).__name__}: {exc}{where}"


def _split(step: StepSpec, value: Any) -> dict[str, Any]:
    if step.output_mode == "single":
        return {step.outputs[0]: value}
    if step.output_mode == "dict":
        if not isinstance(value, Mapping) or set(value) != set(step.outputs):
            raise _StepFailedError(
                f"returned {type(value).__name__}, expected a dict with keys "
                f"{', '.join(step.outputs)}"
            )
        return {name: value[name] for name in step.outputs}
    if not isinstance(value, tuple | list) or len(value) != len(step.outputs):
        raise _StepFailedError(
            f"returned {type(value).__name__}, expected a tuple of {len(step.outputs)} values"
        )
    return dict(zip(step.outputs, value, strict=True))


def _dump_all(
    run: RunSpec, step: StepSpec, outputs: Mapping[str, Any], ctx: ExecutionContext
) -> dict[str, dict[str, Any]]:
    from repro.materialize import NoMaterializerError, dump

    dumped = {}
    for name, value in outputs.items():
        try:
            dumped[name] = dump(value, ctx.store, _options(run, ctx)).to_dict()
        except NoMaterializerError as exc:
            raise _StepFailedError(str(exc.with_step(step.name))) from exc
        except ReproError as exc:
            raise _StepFailedError(f"output {name!r}: {exc}") from exc
    return dumped


def _run_shell(
    run: RunSpec, step: StepSpec, ctx: ExecutionContext, result: StepResult
) -> dict[str, dict[str, Any]]:
    assert step.command is not None
    for out in step.outputs:
        kept = _set_aside(os.path.join(ctx.root, out), run, ctx)
        if kept is not None:
            result.kept[out] = kept
    done = _run_command(run, step, ctx, result)
    if done.returncode != 0:
        # Not the command itself: it may hold a secret parameter.
        raise _StepFailedError(f"command exited with status {done.returncode}")
    missing = [out for out in step.outputs if not os.path.exists(os.path.join(ctx.root, out))]
    if missing:
        raise _StepFailedError(f"command did not write {', '.join(missing)}")
    outputs = {out: Path(ctx.root, out) for out in step.outputs}
    return _dump_all(run, step, outputs, ctx)


def _run_command(
    run: RunSpec, step: StepSpec, ctx: ExecutionContext, result: StepResult
) -> subprocess.CompletedProcess[bytes]:
    """The step's command, traced where a tracer works: what it opened and
    wrote in the project goes on ``result``."""
    from repro.backends.tracing import parse_trace, traced, tracer
    from repro.reads import project_path

    assert step.command is not None
    command = ["/bin/sh", "-c", step.command]
    strace = tracer() if ctx.trace else None
    if strace is None:
        return subprocess.run(command, cwd=ctx.root, check=False)
    trace_file = os.path.join(ctx.workdir, f"{step.name}.trace")
    os.makedirs(ctx.workdir, exist_ok=True)
    done = subprocess.run(traced(command, trace_file, strace), cwd=ctx.root, check=False)
    with open(trace_file, encoding="utf-8", errors="surrogateescape") as file:
        seen = parse_trace(file.read(), ctx.root)
    root = os.path.realpath(ctx.root)
    read = {found for path in seen.read if (found := project_path(root, path))}
    written = {found for path in seen.written if (found := project_path(root, path))}
    _note_accesses(result, discover(ctx.root, run, step, read, written))
    result.modules = modules_opened(seen.read, ctx.root)
    return done


def _set_aside(path: str, run: RunSpec, ctx: ExecutionContext) -> str | None:
    """Stale outs are removed first, so that a command that silently fails
    to write one cannot pass off the old file as its output; their content
    is stored first, so that nothing is lost (`repro checkout` gets it back)."""
    import shutil

    from repro.materialize.paths import hashing_jobs
    from repro.snapshot import snapshot

    if not os.path.lexists(path):
        return None
    kept = None
    if os.path.exists(path):
        kept = snapshot(path, algorithm=run.algorithm, store=ctx.store, jobs=hashing_jobs()).oid
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)
    return kept
