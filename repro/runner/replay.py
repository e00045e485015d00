"""``repro replay RUN``: re-execute a recorded run from its pins (its
commit and uncommitted diff in a temporary worktree, its data snapshots,
its parameters) with the cache off, and compare every output id."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from repro.errors import ReproError
from repro.lineage.records import RunRecord, StepRecord, Verification
from repro.lineage.redact import REDACTED
from repro.lineage.runs import RunIndex
from repro.project import Project
from repro.runner.datasets import restore_dataset
from repro.runner.run import RunOptions, StepEvent, mirror, run_target
from repro.runner.targets import Target
from repro.usercode import forget_project_modules

if TYPE_CHECKING:
    from repro.runner.argo_plan import ArgoRun

__all__ = ["NotReplayableError", "ReplayOutcome", "replay_on_argo", "replay_run"]


class NotReplayableError(ReproError):
    def __init__(self, run_id: str, reason: str) -> None:
        self.run_id = run_id
        super().__init__(f"run {run_id} cannot be replayed: {reason}")


@dataclass(frozen=True)
class ReplayOutcome:
    original: RunRecord
    replay: RunRecord
    verification: Verification
    worktree: str | None  # kept worktree, with --keep


def _params(original: RunRecord, given: Mapping[str, Any]) -> dict[str, Any]:
    """The recorded parameters; a value masked in the record (a secret) must
    be given again."""
    params = {**original.params, **given}
    masked = sorted(
        k
        for k in {*original.masked_params, *params}
        if k not in given and (k in original.masked_params or params.get(k) == REDACTED)
    )
    if masked:
        flags = " ".join(f"-p {name}=..." for name in masked)
        raise NotReplayableError(
            original.id,
            f"parameter {', '.join(masked)} was masked in the record (secrets are "
            f"never recorded); give it again: repro replay {original.id} {flags}",
        )
    return params


def replay_run(
    project: Project,
    run: str,
    *,
    params: Mapping[str, Any] | None = None,
    jobs: int = 1,
    keep: bool = False,
    on_event: Callable[[StepEvent], None] = lambda event: None,
    backend: str | None = None,
    on_log: Callable[[str, str], None] | None = None,
    on_warning: Callable[[str], None] = lambda line: None,
    register: bool = False,
) -> ReplayOutcome:
    """Replay ``run`` on ``backend`` (by default, where it ran). On a
    container backend each step runs in the image the record pinned; a
    run recorded without images gets its declared ones pinned anew."""
    index = RunIndex(project.repro_dir)
    original = _available_record(project, index, run)
    options = _replay_options(original, params or {}, jobs, backend, on_log)
    options.register = register
    with _replay_worktree(project, original, keep) as (worktree, work_root):
        try:
            outcome = run_target(
                project,
                _target(original),
                options,
                on_event,
                work_root=work_root,
                git=original.git,
            )
        finally:
            # The worktree goes away: nothing may keep importing from it.
            forget_project_modules(work_root, unlist=True)
    verification = verify(original, outcome.record)
    replay = outcome.record.model_copy(update={"verification": verification})
    project.store().write(index.save(replay))
    # Only now: the mirrored run carries the verdict.
    mirror(project, replay, on_warning)
    return ReplayOutcome(original, replay, verification, worktree if keep else None)


def replay_on_argo(
    project: Project,
    run: str,
    *,
    params: Mapping[str, Any] | None = None,
    on_event: Callable[[StepEvent], None] = lambda event: None,
) -> ArgoRun:
    """Plan ``run`` again for the cluster from its pins (its commit, image
    digests and snapshots, cache off); `repro argo watch` records and
    verifies it."""
    from repro.runner.argo_plan import plan_argo_run

    index = RunIndex(project.repro_dir)
    original = _available_record(project, index, run)
    options = _replay_options(original, params or {}, 1, "argo", None)
    with _replay_worktree(project, original, False) as (_, work_root):
        try:
            return plan_argo_run(
                project,
                _target(original),
                options,
                on_event,
                work_root=work_root,
                git=original.git,
                fresh_id=True,  # every replay is a run of its own
            )
        finally:
            forget_project_modules(work_root, unlist=True)


def _target(original: RunRecord) -> Target:
    file, _, attr = original.target.partition(":")
    return Target(file, attr or None)


def _replay_options(
    original: RunRecord,
    given: Mapping[str, Any],
    jobs: int,
    backend: str | None,
    on_log: Callable[[str, str], None] | None,
) -> RunOptions:
    if original.git.commit is None:
        raise NotReplayableError(original.id, "it was made outside a Git repository")
    return RunOptions(
        params=_params(original, given),
        pinned_inputs=original.inputs,
        jobs=jobs,
        use_cache=False,
        update_lock=False,
        replay_of=original.id,
        backend=backend or original.backend,
        pinned_images={name: step.image for name, step in original.steps.items()},
        on_log=on_log,
        register=False,
        mirror=False,
    )


@contextmanager
def _replay_worktree(
    project: Project, original: RunRecord, keep: bool
) -> Iterator[tuple[str, str]]:
    """The run's commit (and diff) checked out, its data restored:
    (worktree, the project's folder in it)."""
    from repro.git import read_facts, temporary_worktree

    store = project.store()
    diff = store.read(original.git.diff) if original.git.diff else None
    git_root = read_facts(project.root).root
    inside = os.path.relpath(project.root, git_root)
    assert original.git.commit is not None  # checked by _replay_options
    # Outside .repro/: repro never reads data from there.
    with temporary_worktree(git_root, original.git.commit, diff=diff, keep=keep) as worktree:
        work_root = os.path.normpath(os.path.join(worktree, inside))
        for snapshot in original.inputs.values():
            restore_dataset(store, work_root, snapshot)
        yield worktree, work_root


def _available_record(project: Project, index: RunIndex, run: str) -> RunRecord:
    """The run's record, with every object the replay needs in the local
    cache: what a fresh clone lacks is fetched from the remote on demand."""
    from repro.lineage.runs import UnknownRunError
    from repro.runner.sync import fetch_runs, missing_objects

    try:
        original = index.load(index.resolve(run))
    except UnknownRunError:
        if not project.config.remotes:
            raise
        fetch_runs(project, [run])
        return index.load(index.resolve(run))
    missing = missing_objects(project, original)
    if missing and project.config.remotes:
        fetch_runs(project, [original.id])
    elif missing:
        raise NotReplayableError(
            original.id,
            f"{len(missing)} of its objects are not in the local cache; add the remote it "
            "was pushed to ('repro remote add NAME URL') and run 'repro pull'",
        )
    return original


def verify(original: RunRecord, replay: RunRecord) -> Verification:
    steps: dict[str, str] = {}
    for name, before in original.ordered_steps():
        steps[name] = _compare(before, replay.steps.get(name))
    first = next((name for name, verdict in steps.items() if verdict != "identical"), None)
    explanation = None
    if first is not None:
        explanation = _explain(first, original.steps[first], replay.steps.get(first))
    return Verification(
        verdict="identical" if first is None else "different",
        steps=steps,  # type: ignore[arg-type]
        first_divergence=first,
        explanation=explanation,
    )


def _compare(before: StepRecord, after: StepRecord | None) -> str:
    if after is None:
        return "missing"
    if before.status == "skipped":
        # A false condition skipped it: the replay must decide the same.
        return "identical" if after.status == "skipped" else "different"
    if after.status not in ("executed", "cached"):
        return "failed"
    same = {k: a.oid for k, a in before.outputs.items()} == {
        k: a.oid for k, a in after.outputs.items()
    }
    return "identical" if same else "different"


def _explain(name: str, before: StepRecord, after: StepRecord | None) -> str:
    if after is None or after.fingerprints is None or before.fingerprints is None:
        reason = after.error or after.reason if after is not None else None
        return f"step {name!r} did not run in the replay" + (f": {reason}" if reason else "")
    if after.status == "failed":
        return f"step {name!r} failed in the replay: {after.error}"
    then, now = before.fingerprints, after.fingerprints
    if then.environment != now.environment:
        return f"step {name!r}: the environment differs from the recorded one"
    changed = sorted(
        k for k in set(then.inputs) | set(now.inputs) if then.inputs.get(k) != now.inputs.get(k)
    )
    if changed:
        return f"step {name!r}: input {', '.join(changed)} differs from the recorded one"
    if then.code != now.code:
        return f"step {name!r}: its code differs from the recorded commit"
    if then.params != now.params:
        return f"step {name!r}: its parameters differ from the recorded ones"
    outputs = sorted(
        k
        for k in set(before.outputs) | set(after.outputs)
        if (before.outputs.get(k) and before.outputs[k].oid)
        != (after.outputs.get(k) and after.outputs[k].oid)
    )
    return (
        f"step {name!r} is nondeterministic: same code, inputs, parameters and environment "
        f"gave different output ({', '.join(outputs)})"
    )
