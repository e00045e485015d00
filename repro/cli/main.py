"""The ``repro`` command. Each command parses, calls one function of the
layers below and renders the result; heavy modules are imported inside the
commands so that ``repro --help`` stays fast."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from repro import __version__
from repro.cli import output
from repro.cli.argo_commands import register as register_argo_commands
from repro.cli.drift_commands import register as register_drift_commands
from repro.cli.gate_commands import register as register_gate_commands
from repro.cli.gc_commands import OptionalRemoteCommand
from repro.cli.gc_commands import register as register_gc_commands
from repro.cli.githook_commands import register as register_githook_commands
from repro.cli.image_commands import register as register_image_commands
from repro.cli.metrics_commands import register as register_metrics_commands
from repro.cli.mlflow_commands import register as register_mlflow_commands
from repro.cli.model_commands import register as register_model_commands
from repro.cli.pipeline_commands import JsonOption
from repro.cli.pipeline_commands import register as register_pipeline_commands
from repro.cli.remote_commands import register as register_remote_commands
from repro.cli.report_commands import register as register_report_commands
from repro.cli.schedule_commands import register as register_schedule_commands
from repro.cli.sync_commands import register as register_sync_commands
from repro.cli.ui_commands import register as register_ui_commands

app = typer.Typer(
    name="repro",
    help=(
        "Any past pipeline run, replayed exactly, anywhere, with proof.\n\n"
        "Exit codes: 0 success; 1 failure (the message says what to do), a failed step, a "
        "stale lock under run --frozen or status --exit-code, a repro.lock left uncommitted "
        "under run --ci, a replay that differs under --verify; 2 usage error; "
        "130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"repro {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    """repro: pinned, replayable, verifiable pipeline runs."""
    if debug:
        os.environ["REPRO_DEBUG"] = "1"


@app.command()
def init(
    path: Annotated[str, typer.Argument(help="Project folder.")] = ".",
    no_scm: Annotated[bool, typer.Option("--no-scm", help="Allow a folder outside Git.")] = False,
) -> None:
    """Create .repro/ (config, cache, ignore entries) in a Git work tree."""
    from repro.project import init_project

    result = init_project(path, no_scm=no_scm)
    where = result.project.repro_dir
    if result.created:
        output.say(f"Initialized repro in {where}; commit .repro/config.toml and .repro/.gitignore")
    else:
        output.say(f"repro is already initialized in {where}")


@app.command()
def snapshot(
    target: Annotated[str, typer.Argument(help="A file, a folder or an fsspec URL.")],
    no_store: Annotated[bool, typer.Option("--no-store", help="Only hash; store nothing.")] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Hash TARGET into a tree, store its objects and print the tree id."""
    from repro.cli.commands import snapshot_target

    result = snapshot_target(target, store=not no_store, jobs=jobs)
    if as_json:
        output.print_json(
            {
                "algorithm": result.algorithm,
                "tree": result.oid,
                "uri": result.uri,
                "files": result.files,
                "bytes": result.bytes,
                "hashed": result.hashed,
                "reused": result.reused,
                "stored": result.stored,
            }
        )
        return
    stored = "stored" if result.stored else "not stored"
    output.say(
        f"{result.oid}  {_count(result.files, 'file')}, {output.human_size(result.bytes)} "
        f"({result.hashed} hashed, {result.reused} unchanged; {stored})"
    )


@app.command()
def checkout(
    tree: Annotated[
        str, typer.Argument(help="Tree id or run id; either may be cut to a unique prefix.")
    ],
    dest: Annotated[
        str | None,
        typer.Argument(
            help="Folder to make match the tree; for a run, where its outputs go "
            "(default outputs/RUN)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", "-f", help="Overwrite or delete files whose content is not stored."
        ),
    ] = False,
    link: Annotated[
        list[str] | None,
        typer.Option(
            "--link",
            "-l",
            help="Link type to try, in order (reflink, hardlink, copy); small objects live "
            "in packs and are always copied.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make DEST hold exactly the files of TREE, or check out a RUN.

    For a run: restore the data it read and write its outputs to
    DEST/STEP/OUTPUT (default outputs/RUN)."""
    if _names_a_run(tree):
        _checkout_run(tree, dest, force=force, as_json=as_json)
        return
    if dest is None:
        raise typer.BadParameter(
            "give the folder to check the tree out to (or a run id)", param_hint="DEST"
        )
    from repro.cli.commands import checkout_tree

    result = checkout_tree(tree, dest, force=force, link_types=link)
    if as_json:
        output.print_json(
            {
                "dest": result.dest,
                "added": result.added,
                "modified": result.modified,
                "deleted": result.deleted,
                "unchanged": result.unchanged,
                "links": dict(result.links),
            }
        )
        return
    _say_checkout(result)


def _checkout_run(run: str, dest: str | None, *, force: bool, as_json: bool) -> None:
    from repro.cli.run_queries import checkout_run

    done = checkout_run(run, dest, force=force)
    if as_json:
        output.print_json(done)
        return
    for path in done["data"]:
        output.say(f"data    {output.printable(path)}")
    folder = output.printable(done["folder"])
    output.say(f"outputs of run {done['run']} in {folder} ({len(done['outputs'])})")


def _say_checkout(result: Any) -> None:
    for label, paths in (("A", result.added), ("M", result.modified), ("D", result.deleted)):
        for path in paths[:20]:
            output.say(f"{label} {output.printable(path)}")
        if len(paths) > 20:
            output.say(f"{label} … and {len(paths) - 20} more")
    links = (
        ", ".join(f"{n} {kind}" for kind, n in sorted(result.links.items())) or "nothing written"
    )
    counts = f"{len(result.added)} added, {len(result.modified)} modified"
    output.say(f"{counts}, {len(result.deleted)} deleted, {result.unchanged} unchanged ({links})")


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="Tree id (or a unique prefix) or folder.")],
    new: Annotated[str, typer.Argument(help="Tree id (or a unique prefix) or folder.")],
    as_json: JsonOption = False,
) -> None:
    """List files added, removed or changed from OLD to NEW."""
    from repro.cli.commands import diff_targets

    change = diff_targets(old, new)
    if as_json:
        output.print_json(
            {
                "added": [e.path for e in change.added],
                "removed": [e.path for e in change.removed],
                "changed": [c.path for c in change.changed],
                "unchanged": change.unchanged,
            }
        )
        return
    for entry in change.added:
        output.say(f"A {output.printable(entry.path)}")
    for entry in change.removed:
        output.say(f"D {output.printable(entry.path)}")
    for item in change.changed:
        output.say(f"M {output.printable(item.path)}")
    output.say(
        f"{len(change.added)} added, {len(change.removed)} removed, "
        f"{len(change.changed)} changed, {change.unchanged} unchanged"
    )


@app.command(cls=OptionalRemoteCommand)
def fsck(
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote",
            "-r",
            help="Check a remote's objects instead (--remote alone: the default remote).",
        ),
    ] = None,
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample", min=1, help="Check N loose and N packed objects picked at random."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Re-hash every object in the local cache (or a remote); name each one that is bad."""
    from repro.cli.commands import fsck_store

    report = fsck_store(remote, sample)
    if as_json:
        output.print_json(
            {
                "checked": report.checked,
                "total": report.total,
                "sample": report.sample,
                "trees": report.trees,
                "problems": [
                    {"oid": p.oid, "where": p.where, "reason": p.reason} for p in report.problems
                ],
                "leftovers": report.leftovers,
            }
        )
    else:
        for problem in report.problems:
            output.say_err(output.one_line(f"bad: {problem}"))
        verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        checked = f"{report.checked} objects"
        if report.sample is not None:
            checked = f"a sample of {report.checked} of {report.total} objects"
        output.say(f"checked {checked} ({report.trees} trees): {verdict}")
        if report.leftovers:
            output.say(
                f"{_count(len(report.leftovers), 'file')} left by interrupted writes "
                "(never read as objects; safe to delete): "
                + ", ".join(map(output.printable, report.leftovers[:3]))
            )
    if not report.ok:
        raise typer.Exit(1)


register_pipeline_commands(app)
register_remote_commands(app)
register_sync_commands(app)
register_gc_commands(app)
register_image_commands(app)
register_gate_commands(app)
register_githook_commands(app)
register_argo_commands(app)
register_schedule_commands(app)
register_mlflow_commands(app)
register_drift_commands(app)
register_model_commands(app)
register_metrics_commands(app)
register_ui_commands(app)
register_report_commands(app)


def _names_a_run(text: str) -> bool:
    """Run ids are 14 base32 characters, tree ids 32 or more hex digits."""
    from repro.lineage.runs import RunIndex, is_run_id_prefix
    from repro.project import find_project

    if not is_run_id_prefix(text):
        return False
    return any(run.startswith(text) for run in RunIndex(find_project().repro_dir).ids())


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def run(argv: list[str] | None = None) -> Any:
    """Entry point: a ``ReproError`` becomes one line on stderr and its exit code."""
    from repro.errors import ReproError

    try:
        return app(args=argv, standalone_mode=True)
    except ReproError as exc:
        _fail(exc, str(exc), exc.exit_code, abandon=exc.exit_code == 130)
    except KeyboardInterrupt as exc:
        _fail(exc, "interrupted", 130, abandon=True)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        _fail(exc, f"{exc.strerror or exc}{where}", 1)


def _fail(exc: BaseException, message: str, code: int, *, abandon: bool = False) -> None:
    if os.environ.get("REPRO_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    # One line, whatever file or record name the message quotes.
    print(f"error: {output.one_line(message)}", file=sys.stderr)
    if abandon:
        # A step still running in a worker thread would keep the interpreter
        # alive until it finished; what it would have written is not needed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
