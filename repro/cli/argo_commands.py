"""``repro argo render|submit|watch|lint``: a pipeline as an Argo Workflow
(or CronWorkflow), sent to the Argo Server and followed to its record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption, ParamOption
from repro.errors import UsageError

argo_app = typer.Typer(
    help="Run pipelines on Kubernetes through Argo Workflows.", no_args_is_help=True
)

TargetArgument = Annotated[
    str | None,
    typer.Argument(help="FILE.py:PIPELINE or a configured name; default: the one configured."),
]
CronOption = Annotated[
    bool,
    typer.Option("--cron", help="A CronWorkflow on the pipeline's schedules, not one Workflow."),
]


def plan_target(
    target: str | None,
    params: Mapping[str, Any],
    *,
    cron: bool = False,
    use_cache: bool = True,
    fresh_id: bool = False,
) -> Any:
    from repro.project import find_project
    from repro.runner.argo_plan import plan_argo_run
    from repro.runner.run import RunOptions
    from repro.runner.targets import resolve_targets

    project = find_project()
    targets = resolve_targets(project.root, target)
    if len(targets) != 1:
        names = ", ".join(t.text for t in targets)
        raise UsageError(f"name the pipeline to render ({names})")
    options = RunOptions(params=params, backend="argo", use_cache=use_cache)
    return project, plan_argo_run(project, targets[0], options, cron=cron, fresh_id=fresh_id)


@argo_app.command()
def render(
    target: TargetArgument = None,
    out: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the YAML here (default: stdout).")
    ] = None,
    cron: CronOption = False,
    param: ParamOption = None,
) -> None:
    """Write the pipeline's Workflow as YAML, for `kubectl create -f` or Argo CD.

    The same lock renders the same bytes. What the pods read (the plan, the
    code, the data) is pushed to the remote store first."""
    from repro.cli.usecases import parse_params

    _, run = plan_target(target, parse_params(param), cron=cron)
    if out is None:
        output.say(run.yaml.rstrip("\n"))
        return
    from repro.atomic import write_atomic

    write_atomic(out, run.yaml.encode())
    kind = run.manifest["kind"]
    output.say_err(f"{kind} {run.manifest['metadata']['name']} (run {run.run_id}) -> {out}")


@argo_app.command()
def submit(
    target: TargetArgument = None,
    cron: CronOption = False,
    param: ParamOption = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow the workflow and record the run.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Submit the pipeline's Workflow (or apply its CronWorkflow) to the Argo Server.

    The server comes from ARGO_SERVER (else [tool.repro.argo] server), the
    token from ARGO_TOKEN."""
    from repro.cli.usecases import parse_params
    from repro.runner.argo_follow import submit_run

    project, run = plan_target(target, parse_params(param), cron=cron, fresh_id=not cron)
    created = submit_run(project, run)
    name = created.get("metadata", {}).get("name", run.manifest["metadata"]["name"])
    if as_json and not watch:
        output.print_json({"run": run.run_id, "kind": run.manifest["kind"], "name": name})
        return
    # stdout holds the JSON document alone.
    (output.say_err if as_json else output.say)(
        f"submitted {run.manifest['kind']} {name} (run {run.run_id})"
    )
    if watch and not cron:
        _follow(project, run.run_id, interval=2.0, timeout=None, as_json=as_json)


@argo_app.command("watch")
def watch_run(
    run: Annotated[str, typer.Argument(help="The run id `repro argo submit` printed.")],
    interval: Annotated[
        float, typer.Option("--interval", min=0.05, help="Seconds between polls.")
    ] = 5.0,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Give up after this many seconds.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Follow a submitted run's Workflow and record the run when it ends.

    Exit 1 if it failed."""
    from repro.project import find_project

    _follow(find_project(), run, interval=interval, timeout=timeout, as_json=as_json)


def _follow(
    project: Any, run: str, *, interval: float, timeout: float | None, as_json: bool
) -> None:
    from repro.runner.argo_follow import follow_run

    def phase(name: str, status: Mapping[str, Any]) -> None:
        if not as_json:
            output.say_err(f"workflow {name or 'Pending'}")

    outcome = follow_run(project, run, interval=interval, timeout=timeout, on_phase=phase)
    record = outcome.record
    if outcome.warning:
        output.say_err(f"warning: {outcome.warning}")
    if as_json:
        output.print_json(
            {
                "run": record.id,
                "phase": outcome.phase,
                "status": record.status,
                "steps": {n: s.status for n, s in record.ordered_steps()},
                "verdict": record.verification.verdict if record.verification else None,
            }
        )
    else:
        for name, step in record.ordered_steps():
            detail = f": {step.error}" if step.error else ""
            output.say(f"  {step.status:<9} {name}{detail}")
        output.say(f"run {record.id} {record.status} (workflow {outcome.phase})")
        if record.verification:
            output.say(f"replay of {record.replay_of}: {record.verification.verdict}")
    if not outcome.ok or (record.verification and record.verification.verdict != "identical"):
        raise typer.Exit(1)


def replay_on_cluster(
    run_id: str, params: Mapping[str, Any], *, submit: bool, out: str | None, as_json: bool
) -> None:
    """`repro replay RUN --backend argo`: the replay's Workflow, written out
    or submitted, followed and verified."""
    from repro.project import find_project
    from repro.runner.argo_follow import submit_run
    from repro.runner.replay import replay_on_argo

    project = find_project()
    run = replay_on_argo(project, run_id, params=params)
    if out is not None:
        from repro.atomic import write_atomic

        write_atomic(out, run.yaml.encode())
        output.say_err(f"Workflow {run.manifest['metadata']['name']} (run {run.run_id}) -> {out}")
    elif not submit:
        output.say(run.yaml.rstrip("\n"))
    if submit:
        submit_run(project, run)
        output.say_err(f"submitted Workflow {run.manifest['metadata']['name']} (run {run.run_id})")
        _follow(project, run.run_id, interval=2.0, timeout=None, as_json=as_json)


@argo_app.command()
def collect(
    cron: Annotated[
        str | None,
        typer.Argument(help="The CronWorkflow's name; default: every one rendered here."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record the runs a schedule made: each finished Workflow of the
    CronWorkflow not recorded yet, with the data it snapshotted when it fired.

    Exit 1 if one of them failed."""
    from repro.project import find_project
    from repro.runner.argo_cron import collect_cron_runs, cron_names

    project = find_project()
    names = [cron] if cron else cron_names(project)
    outcomes = [outcome for name in names for outcome in collect_cron_runs(project, name)]
    if as_json:
        output.print_json(
            [{"run": o.record.id, "status": o.record.status, "phase": o.phase} for o in outcomes]
        )
    else:
        for outcome in outcomes:
            output.say(
                f"run {outcome.record.id} {outcome.record.status} (workflow {outcome.phase})"
            )
        if not outcomes:
            output.say_err("no finished scheduled workflow to record")
    if not all(outcome.ok for outcome in outcomes):
        raise typer.Exit(1)


@argo_app.command()
def lint(
    files: Annotated[list[str], typer.Argument(help="Manifests (YAML) to check.")],
) -> None:
    """Check Argo manifests as repro checks the ones it writes. Exit 1 on a problem."""
    from repro.argo.lint import lint_yaml

    problems = 0
    for path in files:
        try:
            with open(path, encoding="utf-8") as file:
                found = lint_yaml(file.read())
        except OSError as exc:
            raise UsageError(f"{path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise UsageError(f"{path}: not UTF-8 text ({exc.reason})") from exc
        for problem in found:
            output.say(f"{path}: {problem}")
        problems += len(found)
    if problems:
        raise typer.Exit(1)


@argo_app.command("snapshot-data", hidden=True)
def snapshot_data(
    run_id: Annotated[str, typer.Argument(help="The run of the plan.")],
    plan: Annotated[str, typer.Option("--plan", help="The plan's object id in the remote.")],
    argo_outputs: Annotated[
        str, typer.Option("--argo-outputs", help="Write each snapshot (JSON) under data/ here.")
    ],
) -> None:
    """A schedule's first task, in a pod: snapshot its URL datasets now."""
    from repro.runner.argo_exec import snapshot_fresh_data

    for doc in snapshot_fresh_data(run_id, plan, argo_outputs):
        output.say(f"{doc['uri']}: {doc['oid']} ({doc['files']} files)")


def register(app: typer.Typer) -> None:
    app.add_typer(argo_app, name="argo")
