"""Typer wiring of ``repro remote``: add, list, remove, default. Each parses,
calls one function of ``repro.remotes`` and renders."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from repro.cli import output
from repro.cli.pipeline_commands import JsonOption
from repro.errors import UsageError

__all__ = ["register"]

remote_app = typer.Typer(
    help="Named object stores (any fsspec URL) that runs are pushed to and pulled from.",
    no_args_is_help=True,
)

LocalOption = Annotated[
    bool,
    typer.Option(
        "--local",
        help="Write .repro/config.local.toml (this machine only, not committed) instead of "
        ".repro/config.toml.",
    ),
]


@remote_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The remote's name (letters, digits, - and _).")],
    url: Annotated[
        str,
        typer.Argument(
            help="s3://bucket/prefix, gs://…, az://…, ssh://user@host/path, or a folder "
            "(a relative one is stored relative to the project root)."
        ),
    ],
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-o",
            help="A storage option: KEY=VALUE, such as endpoint_url=http://localhost:9000 or "
            "client_kwargs.region_name=eu-west-1 (repeatable; values read as YAML). "
            "Credentials come from the environment, never from here.",
        ),
    ] = None,
    default: Annotated[bool, typer.Option("--default", help="Make it the default remote.")] = False,
    local: LocalOption = False,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Replace a remote of the same name.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="First check that the remote answers and lets us in."),
    ] = False,
) -> None:
    """Add a remote to the project's config."""
    from repro.project import find_project
    from repro.remotes import add_remote

    remote = add_remote(
        find_project(),
        name,
        url,
        default=default,
        local=local,
        options=parse_options(option),
        force=force,
        verify=verify,
    )
    from repro.config import redact_remote_url

    where = ".repro/config.local.toml" if local else ".repro/config.toml"
    suffix = " (default)" if default else ""
    output.say(f"added remote {name!r}: {redact_remote_url(remote.url)} in {where}{suffix}")


@remote_app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """List the remotes: name, URL, storage options, default, config file."""
    from repro.project import find_project
    from repro.remotes import list_remotes

    remotes = list_remotes(find_project())
    if as_json:
        output.print_json([remote.to_dict() for remote in remotes])
        return
    if not remotes:
        output.say("no remotes; add one with 'repro remote add NAME URL'")
    for remote in remotes:
        options = "".join(f"  {key}={value}" for key, value in _flat(remote.options))
        mark = "*" if remote.default else " "
        output.say(f"{mark} {remote.name}  {remote.url}  ({remote.file}){options}")


@remote_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The remote to remove.")]) -> None:
    """Remove a remote (from every config file) and unset it as the default."""
    from repro.project import find_project
    from repro.remotes import remove_remote

    files = remove_remote(find_project(), name)
    output.say(f"removed remote {name!r} from {', '.join(files)}")


@remote_app.command("default")
def default(
    name: Annotated[
        str | None, typer.Argument(help="The remote to make the default; none: show it.")
    ] = None,
    unset: Annotated[bool, typer.Option("--unset", help="Have no default remote.")] = False,
    local: LocalOption = False,
) -> None:
    """Show or set the default remote (used when a command gets no --remote)."""
    from repro.project import find_project
    from repro.remotes import set_default_remote

    if name is not None and unset:
        raise UsageError("give a remote name or --unset, not both")
    project = find_project()
    if name is None and not unset:
        current = project.config.core.remote
        output.say(current if current else "no default remote")
        return
    now = set_default_remote(project, name, local=local)
    if name is None:
        output.say("no default remote" if now is None else f"default remote: {now} (still set)")
    elif now != name:
        output.say(f"set {name!r}, but .repro/config.local.toml makes {now!r} the default here")
    else:
        output.say(f"default remote: {name}")


def _flat(options: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested options as the dotted ``KEY=VALUE`` pairs ``-o`` takes."""
    found: list[tuple[str, Any]] = []
    for key, value in sorted(options.items()):
        if isinstance(value, dict):
            found += _flat(value, f"{prefix}{key}.")
        else:
            found.append((f"{prefix}{key}", value))
    return found


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``-o KEY=VALUE`` pairs as storage options; a dotted key makes a nested
    table (``client_kwargs.region_name=…``)."""
    from repro.pipelines.params import parse_param_value

    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        value = parse_param_value(text)
        if not sep or not key.strip() or value is None or value == "":
            raise UsageError(f"-o {pair!r}: expected KEY=VALUE")
        *parents, last = key.strip().split(".")
        table = options
        for parent in parents:
            table = table.setdefault(parent, {})
            if not isinstance(table, dict):
                raise UsageError(f"-o {pair!r}: {parent!r} is already a value")
        table[last] = value
    return options


def register(app: typer.Typer) -> None:
    app.add_typer(remote_app, name="remote")
