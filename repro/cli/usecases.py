"""What the pipeline commands do, as functions returning data; the typer
wiring in ``repro.cli.pipeline_commands`` only parses and renders."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from repro.errors import UsageError
from repro.project import Project, find_project

if TYPE_CHECKING:
    from repro.runner.ci import CiOutcome
    from repro.store.transfer import Progress

__all__ = [
    "RunReport",
    "parse_params",
    "parse_tags",
    "publish_ci",
    "run_pipelines",
    "status_of",
]


def parse_tags(pairs: list[str] | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--tag {pair!r}: expected KEY=VALUE")
        tags[key.strip()] = value
    return tags


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    from repro.pipelines.params import parse_param_value

    params: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-p {pair!r}: expected KEY=VALUE")
        params[key.strip()] = parse_param_value(value)
    return params


@dataclass
class RunReport:
    pipeline: str
    target: str
    run: str
    status: str  # "succeeded", "failed", "up-to-date", "fresh", "stale"
    steps: list[dict[str, Any]] = field(default_factory=list)
    steps_said: bool = False  # each step's line was printed as it finished

    @property
    def ok(self) -> bool:
        return self.status in ("succeeded", "up-to-date", "fresh", "unchanged")

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "pipeline": self.pipeline,
            "target": self.target,
            "status": self.status,
            "steps": self.steps,
        }


def run_pipelines(
    target: str | None,
    params: Mapping[str, Any],
    *,
    jobs: int | None,
    use_cache: bool,
    frozen: bool,
    on_event: Callable[[Any], None],
    on_wait: Callable[[str], None],
    backend: str | None = None,
    on_log: Callable[[str, str], None] | None = None,
    ci: bool = False,
    tags: Mapping[str, str] | None = None,
    if_changed: bool = False,
) -> list[RunReport]:
    """``backend`` None: where the lock's run of each pipeline ran (local
    when it has none), so that `repro run` and `repro status` agree.
    ``ci``: check first that ``publish_ci`` can push and judge the lock."""
    from repro.runner.runlock import project_run_lock
    from repro.runner.targets import resolve_targets

    if frozen and ci:
        raise UsageError("--frozen writes nothing and --ci pushes what it ran: give one of them")
    project = find_project()
    targets = resolve_targets(project.root, target)
    if backend is not None:
        check_backend(backend)
    if ci:
        from repro.runner.ci import check_ci_ready

        check_ci_ready(project)
    if frozen:
        return [_frozen(project, t, params, refuse_latest=True) for t in targets]
    reports = []
    with project_run_lock(project.repro_dir, on_wait):
        for each in targets:
            unchanged = _unchanged(project, each, params) if if_changed else None
            if unchanged is not None:
                reports.append(unchanged)
                continue
            # The quick no-op judges a lock of the backend asked for, where
            # no engine is needed (see fastpath.QUICK_BACKENDS).
            quick = _fast(project, each, params, backend) if use_cache else None
            where = backend or _locked_backend(project, each)
            # A tagged run is recorded even when nothing changed.
            quick = None if tags else quick
            reports.append(
                quick
                or _run(
                    project, each, params, jobs, use_cache, on_event, where, on_log, tags, on_wait
                )
            )
    return reports


def publish_ci(reports: list[RunReport], progress: Progress | None = None) -> CiOutcome:
    """After ``run_pipelines(ci=True)`` succeeded: push the runs it made or
    found up to date, then judge the lock (``CiOutcome.check``)."""
    from repro.runner.ci import finish_ci

    runs = [report.run for report in reports if report.ok and report.run]
    return finish_ci(find_project(), runs, progress=progress)


def _locked_backend(project: Project, target: Any) -> str:
    from repro.runner.lockfile import load_lock

    lock = load_lock(project)
    entries = lock.pipelines.values() if lock else []
    return next((e.backend for e in entries if e.target == target.text), "local")


def check_backend(name: str) -> None:
    from repro.backends.base import BACKENDS, UnknownBackendError

    if name not in BACKENDS:
        raise UnknownBackendError(name)


def _unchanged(project: Project, target: Any, params: Mapping[str, Any]) -> RunReport | None:
    from repro.runner.ifchanged import inputs_unchanged

    found = inputs_unchanged(project, target, params)
    if found is None:
        return None
    return RunReport(found.pipeline, target.text, found.run, "unchanged")


def _fast(
    project: Project, target: Any, params: Mapping[str, Any], backend: str | None = None
) -> RunReport | None:
    from repro.runner.fastpath import up_to_date

    found = up_to_date(project, target, params, backend)
    if found is None:
        return None
    steps = [{"name": s, "status": "cached", "reasons": []} for s in found.steps]
    return RunReport(found.pipeline, target.text, found.run, "up-to-date", steps)


def _run(
    project: Project,
    target: Any,
    params: Mapping[str, Any],
    jobs: int | None,
    use_cache: bool,
    on_event: Callable[[Any], None],
    backend: str = "local",
    on_log: Callable[[str, str], None] | None = None,
    tags: Mapping[str, str] | None = None,
    on_warning: Callable[[str], None] = lambda line: None,
) -> RunReport:
    from repro.runner.run import RunOptions, run_target

    if backend == "argo":
        return _run_on_argo(project, target, params, use_cache, on_event, on_warning, tags)
    options = RunOptions(
        params=params,
        jobs=jobs or default_jobs(project),
        use_cache=use_cache,
        backend=backend,
        on_log=on_log,
        tags=dict(tags or {}),
        on_warning=lambda line: on_warning(f"warning: {line}"),
    )
    outcome = run_target(project, target, options, on_event)
    report = _report(outcome.record, target.text)
    if outcome.repeats is not None:
        # Nothing was recorded: the locked run stands, as on the fast path.
        report.run, report.status, report.steps_said = outcome.repeats, "up-to-date", True
    return report


def _run_on_argo(
    project: Project,
    target: Any,
    params: Mapping[str, Any],
    use_cache: bool,
    on_event: Callable[[Any], None],
    on_warning: Callable[[str], None],
    tags: Mapping[str, str] | None = None,
) -> RunReport:
    """Plan, submit, follow and record: `repro run` on a cluster."""
    from repro.runner.argo_follow import follow_run, submit_run
    from repro.runner.argo_plan import NothingToScheduleError, plan_argo_run
    from repro.runner.run import RunOptions

    options = RunOptions(params=params, use_cache=use_cache, backend="argo", tags=dict(tags or {}))
    try:
        planned = plan_argo_run(project, target, options, on_event, fresh_id=True)
    except NothingToScheduleError as nothing:
        steps = [{"name": e.step, "status": e.status, "reasons": e.reasons} for e in nothing.events]
        return RunReport(nothing.pipeline, target.text, nothing.locked or "", "up-to-date", steps)
    submit_run(project, planned)
    outcome = follow_run(project, planned.run_id, interval=2.0)
    if outcome.warning:
        on_warning(f"warning: {outcome.warning}")
    return _report(outcome.record, target.text)


def _report(record: Any, target: str) -> RunReport:
    steps = [
        {
            "name": name,
            "status": step.status,
            "reasons": [step.reason] if step.reason else [],
            "duration": step.duration,
            "error": step.error,
        }
        for name, step in record.ordered_steps()
    ]
    return RunReport(record.pipeline, target, record.id, record.status, steps)


def default_jobs(project: Project) -> int:
    from repro.snapshot.build import default_jobs as cores

    return project.config.core.jobs or cores()


def _frozen(
    project: Project, target: Any, params: Mapping[str, Any], *, refuse_latest: bool = False
) -> RunReport:
    if refuse_latest:
        from repro.runner.images import refuse_floating_project_image

        refuse_floating_project_image(project.root)
    quick = _fast(project, target, params)
    if quick is not None:
        quick.status = "fresh"
        return quick
    return status_of(project, target, params, refuse_latest=refuse_latest)


def status_of(
    project: Project, target: Any, params: Mapping[str, Any], *, refuse_latest: bool = False
) -> RunReport:
    from repro.runner.status import pipeline_status

    found = pipeline_status(project, target, params, refuse_latest=refuse_latest)
    steps = [
        {"name": s.step, "status": "fresh" if s.fresh else "stale", "reasons": s.reasons}
        for s in found.steps
    ]
    steps += [
        {"name": s, "status": "removed", "reasons": ["no longer in the pipeline"]}
        for s in found.removed
    ]
    return RunReport(
        found.pipeline, target.text, found.run or "", "fresh" if found.fresh else "stale", steps
    )


def statuses(target: str | None, params: Mapping[str, Any]) -> list[RunReport]:
    from repro.runner.targets import resolve_targets

    project = find_project()
    return [_frozen(project, t, params) for t in resolve_targets(project.root, target)]
