"""Typer wiring of the pipeline commands: run, status, runs, replay,
step-exec, lock. Each parses, calls one use case and renders."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from repro.cli import output
from repro.errors import UsageError

__all__ = ["register"]

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Override a pipeline parameter: KEY=VALUE (repeatable)."),
]
JobsOption = Annotated[
    int | None, typer.Option("--jobs", "-j", min=1, help="Steps run at once (default: cores).")
]
BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend",
        "-b",
        help="Where steps run: local (in this process) or docker (a container of each "
        "step's image, pinned by digest). Default: where the lock's run ran, else local.",
    ),
]


def _print_log(step: str, line: str) -> None:
    output.say_err(f"  {step} | {line}")


runs_app = typer.Typer(help="List, show and compare recorded runs.", no_args_is_help=True)
lock_app = typer.Typer(help="The repro.lock file.", no_args_is_help=True)


def _print_event(explain: bool) -> Any:
    def show(event: Any) -> None:
        timing = f" ({event.duration:.2f}s)" if event.duration is not None else ""
        line = f"  {event.status:<8} {event.step}{timing}"
        if event.error:
            line += f": {event.error}"
        elif explain and event.reasons:
            said = [*event.reasons, *(n for n in event.notes if n not in event.reasons)]
            line += f": {'; '.join(said)}"
        elif event.notes:
            line += f": {'; '.join(event.notes)}"
        line = output.one_line(line)  # a step's error or a file it read may hold a newline
        output.say_err(line) if event.status == "failed" else output.say(line)

    return show


def _render_reports(reports: list[Any], as_json: bool, explain: bool) -> None:
    if as_json:
        docs = [r.to_dict() for r in reports]
        output.print_json(docs[0] if len(docs) == 1 else docs)
        return
    for report in reports:
        if report.status == "unchanged":
            output.say(f"{report.pipeline}: inputs unchanged since run {report.run}; not run")
        elif report.status == "up-to-date":
            for step in [] if report.steps_said else report.steps:
                output.say(f"  cached   {step['name']}")
            output.say(
                f"{report.pipeline}: up to date, {len(report.steps)} steps cached "
                f"(run {report.run})"
            )
        elif report.status in ("fresh", "stale"):
            output.say(f"{report.pipeline}: {report.status}")
            for step in report.steps:
                if step["status"] != "fresh" or explain:
                    # The reasons name files that changed: one line, whatever their names.
                    why = "; ".join(step["reasons"])
                    output.say(
                        output.one_line(
                            f"  {step['status']:<8} {step['name']}" + (f": {why}" if why else "")
                        )
                    )
        else:
            counts: dict[str, int] = {}
            for step in report.steps:
                counts[step["status"]] = counts.get(step["status"], 0) + 1
            summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            output.say(f"{report.pipeline}: run {report.run} {report.status} ({summary})")


def run(
    target: Annotated[
        str | None,
        typer.Argument(
            help="FILE.py:PIPELINE or a configured name; default: every configured pipeline."
        ),
    ] = None,
    param: ParamOption = None,
    jobs: JobsOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Execute every step.")] = False,
    frozen: Annotated[
        bool, typer.Option("--frozen", help="Write nothing; exit 1 if the lock is stale (for CI).")
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Say for each step why it ran or was cached.")
    ] = False,
    backend: BackendOption = None,
    ci: Annotated[
        bool,
        typer.Option(
            "--ci",
            help="Then push the runs to the default remote; exit 1 if repro.lock changed "
            "but is not committed.",
        ),
    ] = False,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="Tag the run: KEY=VALUE (repeatable)."),
    ] = None,
    if_changed: Annotated[
        bool,
        typer.Option(
            "--if-changed",
            help="Run only pipelines whose input data changed since the locked run "
            "(for schedules); exit 0 otherwise.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run pipelines, reusing cached steps; record the run and update repro.lock.

    Exit 1 if a step fails (or, with --frozen, if anything is stale; with
    --ci, if repro.lock changed but is not committed)."""
    from repro.cli.usecases import parse_params, parse_tags, run_pipelines

    show = (lambda event: None) if as_json else _print_event(explain)
    reports = run_pipelines(
        target,
        parse_params(param),
        jobs=jobs,
        use_cache=not no_cache,
        frozen=frozen,
        on_event=show,
        on_wait=output.say_err,
        backend=backend,
        on_log=None if as_json else _print_log,
        ci=ci,
        tags=parse_tags(tag),
        if_changed=if_changed,
    )
    _render_reports(reports, as_json, explain)
    if not all(report.ok for report in reports):
        raise typer.Exit(1)
    if ci:
        _publish(reports, as_json)


def _publish(reports: list[Any], as_json: bool) -> None:
    from repro.cli.usecases import publish_ci

    with output.transfer_bar("push") as bar:
        outcome = publish_ci(reports, progress=bar)
    pushed, report = outcome.pushed, outcome.pushed.report
    runs = f"{len(pushed.runs)} run{'s' if len(pushed.runs) != 1 else ''}"
    # stdout holds the JSON document alone.
    (output.say_err if as_json else output.say)(
        f"pushed {runs} to {pushed.remote.name}: {report.moved} object(s) moved "
        f"({output.human_size(report.bytes)}), {report.present} already there"
    )
    outcome.check()


def status(
    target: Annotated[
        str | None, typer.Argument(help="FILE.py:PIPELINE or a configured name.")
    ] = None,
    param: ParamOption = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when anything is stale.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Say which steps are stale against repro.lock, and why.

    A step is stale when its code, data, params or environment changed."""
    from repro.cli.usecases import parse_params, statuses

    reports = statuses(target, parse_params(param))
    _render_reports(reports, as_json, explain=False)
    if exit_code and not all(report.ok for report in reports):
        raise typer.Exit(1)


@runs_app.command("list")
def runs_list(
    pipeline: Annotated[str | None, typer.Option("--pipeline", help="Only this pipeline.")] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", "-t", help="Only runs tagged KEY=VALUE, by the run or a step (repeatable)."
        ),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            "-m",
            help="Only runs whose metric passes METRIC OP NUMBER, e.g. 'rmse<0.5' or "
            "'train.accuracy>=0.9'; OP is < <= > >= == != (repeatable).",
        ),
    ] = None,
    commit: Annotated[
        str | None, typer.Option("--commit", help="Only runs of this commit (an id prefix).")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only runs with this status: succeeded, failed, ..."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List recorded runs, oldest first; every filter given must hold."""
    from repro.cli.metrics_commands import recorded_runs
    from repro.experiments.filters import RunFilter, select_runs
    from repro.experiments.summary import RunSummary
    from repro.lineage.runs import RunIndex
    from repro.project import find_project

    wanted = RunFilter.parse(
        pipeline=pipeline, tags=tag or [], metrics=metric or [], commit=commit, status=status
    )
    runs = [RunSummary.of(record) for record in select_runs(recorded_runs(), wanted)]
    # Runs killed before their record (kill -9) are interrupted runs too.
    index = RunIndex(find_project().repro_dir)
    killed = [index.load_killed(run_id) for run_id in index.killed()]
    runs += [RunSummary.of_killed(run) for run in killed if wanted.matches_killed(run)]
    runs.sort(key=lambda run: run.id)  # ids sort by start time
    if as_json:
        output.print_json([run.to_dict() for run in runs])
        return
    for run in runs:
        revision = (run.commit or "-")[:10] + ("+dirty" if run.dirty else "")
        extra = f" replay of {run.replay_of}" if run.replay_of else ""
        extra += "".join(f" {key}={value}" for key, value in sorted(run.tags.items()))
        line = (
            f"{run.id}  {run.created[:19]}  {run.pipeline:<16} {run.status:<11} {revision}{extra}"
        )
        output.say(output.one_line(line))  # a tag from a record may hold a newline


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix.")],
    as_json: JsonOption = False,
) -> None:
    """Show a run record: pins, params, steps, outputs, metrics."""
    from repro.cli.run_queries import show_run

    record = show_run(run_id)
    if as_json:
        output.print_json(record)
        return
    output.say(f"run {record['id']}  {record['pipeline']} ({record['target']})  {record['status']}")
    git = record["git"]
    output.say(
        f"  commit {git['commit']} on {git['branch']}" + (" (dirty)" if git["dirty"] else "")
    )
    output.say(f"  params {json.dumps(record['params'], sort_keys=True)}")
    for uri, snap in record["inputs"].items():
        output.say(f"  data   {output.printable(uri)} {snap['oid']} ({snap['files']} files)")
    for name, step in record["steps"].items():
        outs = ", ".join(f"{k}={v['oid'][:12]}" for k, v in step["outputs"].items())
        metrics = ", ".join(f"{k}={v:g}" for k, v in step["metrics"].items())
        log = "  (log: repro runs log)" if step.get("log") else ""
        shown = f"  {step['status']:<8} {name}  {outs}" + (f"  [{metrics}]" if metrics else "")
        output.say(output.one_line(shown + log))
    for model in record["models"]:
        output.say(
            output.one_line(
                f"  model  {model['name']} version {model['version']} "
                f"(output {model['output']!r} of {model['step']})"
            )
        )
    if record.get("verification"):
        check = record["verification"]
        output.say(f"  replay of {record['replay_of']}: {check['verdict']}")


@runs_app.command("log")
def runs_log(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix.")],
    step: Annotated[str, typer.Argument(help="Step name.")],
) -> None:
    """Print what a step printed in its container, as kept with the run."""
    from repro.cli.run_queries import step_log

    sys.stdout.buffer.write(step_log(run_id, step))
    sys.stdout.flush()


@runs_app.command("diff")
def runs_diff(
    first: Annotated[str, typer.Argument(help="Run id or prefix.")],
    second: Annotated[str, typer.Argument(help="Run id or prefix.")],
    as_json: JsonOption = False,
) -> None:
    """Params, metrics, pins and output ids of two runs side by side."""
    from repro.cli.run_queries import diff_runs

    rows = diff_runs(first, second)
    if as_json:
        output.print_json(rows)
        return
    width = max((len(row["key"]) for row in rows), default=10)
    for row in rows:
        mark = " " if row["same"] else "*"
        output.say(output.one_line(f"{mark} {row['key']:<{width}}  {row['a']!s:<34} {row['b']!s}"))


@runs_app.command("compare")
def runs_compare(
    runs: Annotated[
        list[str], typer.Argument(help="Two or more run ids (or unique prefixes); the first leads.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Params, metrics, pins and outputs of runs side by side, and for each
    step why its cache key differs from the first run's: code, data, params,
    environment or image. Runs of different pipelines compare what they share."""
    from repro.cli.metrics_commands import load_runs, render_comparison
    from repro.experiments.compare import compare_runs

    comparison = compare_runs(load_runs(runs))
    if as_json:
        output.print_json(comparison.to_dict())
        return
    render_comparison(comparison)


def replay(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix.")],
    verify: Annotated[
        bool, typer.Option("--verify", help="Exit 1 unless every output is bit-identical.")
    ] = False,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the replay worktree.")] = False,
    register: Annotated[
        bool,
        typer.Option(
            "--register", help="Register the model versions the replay makes, as a run does."
        ),
    ] = False,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="A parameter masked in the record (a secret): KEY=VALUE."
        ),
    ] = None,
    jobs: JobsOption = None,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            "-b",
            help="Where steps run (default: where the run ran): local, docker, argo.",
        ),
    ] = None,
    submit: Annotated[
        bool,
        typer.Option("--submit", help="argo: submit the replay, follow it and verify it."),
    ] = False,
    out: Annotated[
        str | None, typer.Option("--output", "-o", help="argo: write the manifest here.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Re-execute a recorded run from its pins and compare every output.

    The commit (and diff), data and params are the recorded ones; the cache
    is off. Exit 1 under --verify unless every output is bit-identical.
    With --backend argo the replay is rendered as a Workflow (--submit runs it)."""
    from repro.cli.run_queries import replay_and_verify
    from repro.cli.usecases import parse_params

    if backend == "argo" or submit or out:
        if backend != "argo":
            raise UsageError("--submit and --output are for --backend argo")
        from repro.cli.argo_commands import replay_on_cluster

        replay_on_cluster(run_id, parse_params(param), submit=submit, out=out, as_json=as_json)
        return

    show = (lambda e: None) if as_json else _print_event(False)
    outcome = replay_and_verify(
        run_id,
        parse_params(param),
        jobs=jobs,
        keep=keep,
        on_event=show,
        backend=backend,
        on_log=None if as_json else _print_log,
        on_warning=lambda line: output.say_err(f"warning: {line}"),
        register=register,
    )
    check = outcome.verification
    if as_json:
        output.print_json(
            {
                "run": outcome.replay.id,
                "replay_of": outcome.original.id,
                "verdict": check.verdict,
                "steps": check.steps,
                "first_divergence": check.first_divergence,
                "explanation": check.explanation,
                "worktree": outcome.worktree,
            }
        )
    else:
        for name, verdict in check.steps.items():
            output.say(f"  {verdict:<10} {output.printable(name)}")
        output.say(f"replay {outcome.replay.id} of {outcome.original.id}: {check.verdict}")
        if check.explanation:
            output.say_err(check.explanation)
        if outcome.worktree:
            output.say(f"worktree kept at {outcome.worktree}")
    if verify and check.verdict != "identical":
        raise typer.Exit(1)


def step_exec(
    run_id: Annotated[str, typer.Argument(help="Run id of a planned run.")],
    step: Annotated[str, typer.Argument(help="Step name.")],
    inputs: Annotated[
        str | None,
        typer.Option("--inputs", help="JSON file: argument -> artifact of each upstream output."),
    ] = None,
    result: Annotated[
        str | None,
        typer.Option("--result", help="Write the step result (JSON) here; default: stdout."),
    ] = None,
    work_root: Annotated[
        str | None,
        typer.Option(
            "--work-root", help="Read code and data here (a replay's worktree), not the project."
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="The object store's folder (default: the project's cache)."),
    ] = None,
    scratch_tree: Annotated[
        bool,
        typer.Option(
            "--scratch-tree",
            help="Run a shell step in a writable mirror of the project (a read-only mount).",
        ),
    ] = False,
    plan: Annotated[
        str | None,
        typer.Option("--plan", help="Argo: the plan's object id in the remote store (no project)."),
    ] = None,
    argo_outputs: Annotated[
        str | None,
        typer.Option("--argo-outputs", help="Argo: write the outputs and result files here."),
    ] = None,
    given: Annotated[
        list[str] | None,
        typer.Option("--input", help="Argo: ARGUMENT=JSON artifact of an upstream output."),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", help="Argo: JSON snapshot of a URL dataset, taken on schedule."),
    ] = None,
    condition: Annotated[
        list[str] | None,
        typer.Option("--condition", help="Argo: an output another task's `when` reads."),
    ] = None,
) -> None:
    """Execute one step of a run from its serialized spec.

    The entry point of container backends and Argo pods. Exit 1 if the step fails."""
    if plan is not None:
        outcome = _exec_planned(
            run_id, step, plan, given or [], data or [], condition or [], argo_outputs
        )
    else:
        from repro.project import find_project
        from repro.runner.stepexec import exec_step

        outcome = exec_step(
            find_project(),
            run_id,
            step,
            inputs,
            work_root=work_root,
            store_dir=store,
            scratch_tree=scratch_tree,
        )
    text = json.dumps(outcome.to_dict(), sort_keys=True, indent=1)
    if result:
        from repro.atomic import write_atomic

        write_atomic(result, text.encode())
    else:
        sys.stdout.write(text + "\n")
    if outcome.status != "executed":
        output.say_err(f"step {step} failed: {outcome.error}")
        raise typer.Exit(1)


def _exec_planned(
    run_id: str,
    step: str,
    plan: str,
    given: list[str],
    data: list[str],
    conditions: list[str],
    folder: str | None,
) -> Any:
    from repro.runner.argo_exec import exec_planned_step, parse_data, parse_inputs

    inputs = parse_inputs(given)
    return exec_planned_step(
        run_id, step, plan, inputs, folder, data=parse_data(data), conditions=conditions
    )


@lock_app.command("schema")
def lock_schema(
    record: Annotated[
        bool, typer.Option("--run-record", help="The run record's schema instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of repro.lock (or of a run record)."""
    from repro.cli.run_queries import json_schema

    output.print_json(json_schema("run" if record else "lock"))


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(status)
    app.command()(replay)
    app.command("step-exec")(step_exec)
    app.add_typer(runs_app, name="runs")
    app.add_typer(lock_app, name="lock")
