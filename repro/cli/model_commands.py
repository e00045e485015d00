"""Typer wiring of ``repro models``: list, show, get, promote. Each parses,
calls one function of ``repro.models`` and renders."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Annotated

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption

if TYPE_CHECKING:
    from repro.models import ModelDetails, PromoteResult

__all__ = ["register"]

models_app = typer.Typer(
    help="Model versions (run outputs, by object id) and their aliases. A promotion is an "
    "edit of the committed models.yaml, not a tag: it is reviewed in a pull request, merges, "
    "can be owned in CODEOWNERS, and its git log is the history of who promoted what, when.",
    no_args_is_help=True,
)

RefArgument = Annotated[
    str,
    typer.Argument(
        help="NAME (its newest version), NAME@VERSION (an id or unique prefix) or NAME@ALIAS.",
        metavar="NAME[@VERSION|@ALIAS]",
    ),
]


@models_app.command("list")
def list_command(
    name: Annotated[str | None, typer.Argument(help="Only this model.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the versions of every model (or of NAME), newest first, with their aliases."""
    from repro.models import list_versions
    from repro.project import find_project

    rows = list_versions(find_project(), name)
    if as_json:
        output.print_json([row.to_dict() for row in rows])
        return
    if not rows:
        output.say(
            "no model versions yet: give a pipeline @pipeline(model=Model(name=...)) and run it"
        )
    for row in rows:
        marks = [*row.aliases, *(["latest"] if row.latest else [])]
        version = row.version
        output.say(
            f"{version.name:<16} {version.oid[:12]}  {version.recorded[:19]}  run {version.run}"
            f"  {version.step}/{version.output}" + (f"  ({', '.join(marks)})" if marks else "")
        )


@models_app.command("show")
def show_command(ref: RefArgument, as_json: JsonOption = False) -> None:
    """Show a version's lineage, and the model's aliases and promotion history.

    Lineage: the run, its commit, image, data snapshots, params, metrics; the step and output.
    History: the git log of models.yaml (who moved which alias, when)."""
    from repro.models import show_model
    from repro.project import find_project

    details = show_model(find_project(), ref)
    if as_json:
        output.print_json(details.to_dict())
        return
    _say_lineage(details)
    _say_promotions(details)


def _say_lineage(details: ModelDetails) -> None:
    line = details.lineage
    artifact = line.artifact
    marks = [a for a, p in sorted(details.aliases.items()) if p.version == line.version]
    marks += ["latest"] if details.latest else []
    output.say(
        f"model {line.name} version {line.version}" + (f" ({', '.join(marks)})" if marks else "")
    )
    output.say(
        f"  run      {line.run} ({line.pipeline}, {line.target}) on {line.backend}, "
        f"{line.created[:19]}"
    )
    if line.executed_in != line.run:
        output.say(f"  computed by run {line.executed_in} (cached here)")
    dirty = " (dirty)" if line.dirty else ""
    output.say(f"  commit   {line.commit or '-'} on {line.branch or '(detached)'}{dirty}")
    output.say(f"  image    {line.image or '- (not run in a container)'}")
    output.say(f"  env      {line.environment}")
    for uri, oid in line.data.items():
        output.say(f"  data     {uri} {oid}")
    output.say(f"  params   {json.dumps(line.params, sort_keys=True)}")
    output.say(
        f"  output   {line.step}/{line.output}: {artifact['type']} via {artifact['materializer']}"
        f" ({artifact['kind']}, {output.human_size(artifact['size'])})"
    )
    for step, metrics in line.metrics.items():
        shown = ", ".join(f"{k}={v:g}" for k, v in sorted(metrics.items()))
        output.say(f"  metrics  {step}: {shown}")


def _say_promotions(details: ModelDetails) -> None:
    for alias, promo in sorted(details.aliases.items()):
        output.say(
            f"  alias    {alias} -> {promo.version[:12]} (run {promo.run}, {promo.promoted_at})"
        )
    if details.history:
        output.say("  history (git log models.yaml)")
    for entry in details.history:
        moves = "; ".join(
            f"{c.alias}: {(c.old or 'none')[:12]} -> {(c.new or 'removed')[:12]}"
            for c in entry.changes
        )
        output.say(
            f"    {entry.date}  {entry.commit[:10]}  {entry.author} <{entry.email}>  "
            f"{entry.problem or moves}"
        )


@models_app.command("get")
def get_command(
    ref: RefArgument,
    out: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="File (or, for a folder model, folder) to write; default NAME-VERSION.suffix "
            "here. A folder model's checkout makes the folder hold exactly its files.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Overwrite what is at the path.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write a model version's stored bytes to a path (skops/pickle file, or a folder)."""
    from repro.models import get_model
    from repro.project import find_project

    done = get_model(find_project(), ref, out, force=force)
    if as_json:
        output.print_json(done.to_dict())
        return
    output.say(
        f"model {done.name} version {done.version[:12]} ({done.materializer}) "
        f"written to {os.path.relpath(done.path)}"
    )


@models_app.command("promote")
def promote_command(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[
        str, typer.Argument(help="Version id (or unique prefix), or an alias to copy.")
    ],
    alias: Annotated[str, typer.Option("--alias", "-a", help="Alias to set, e.g. production.")],
    force: Annotated[
        bool, typer.Option("--force", help="Move the alias if it points to another version.")
    ] = False,
    commit: Annotated[
        bool,
        typer.Option(
            "--commit",
            help="Commit models.yaml alone (Git's author and date record the promotion). "
            "Without it the change waits in the work tree, for a pull request.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Point ALIAS of model NAME at VERSION, in the committed models.yaml."""
    from repro.models import promote
    from repro.project import find_project

    done = promote(find_project(), name, version, alias, force=force, commit=commit)
    if as_json:
        output.print_json(done.to_dict())
        return
    _say_promotion(done)


def _say_promotion(done: PromoteResult) -> None:
    where = os.path.relpath(done.path)
    if not done.changed:
        output.say(f"{done.name}@{done.alias} already points to {done.version[:12]}")
    else:
        was = f" (was {done.previous[:12]})" if done.previous else ""
        output.say(
            f"{done.name}@{done.alias} -> {done.version[:12]} (run {done.run}){was} in {where}"
        )
    if done.commit is not None:
        output.say(f"committed {done.commit[:10]}: {where} alone")
    elif done.changed:
        output.say(f"commit {where} (or open a pull request) to make the promotion official")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
