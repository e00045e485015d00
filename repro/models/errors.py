"""Errors a user causes with the model registry: a model, version or alias
that is not there, an alias that would move silently, a damaged models.yaml."""

from __future__ import annotations

from repro.errors import ReproError, UsageError

__all__ = [
    "AliasTakenError",
    "AliasTargetMissingError",
    "AmbiguousVersionError",
    "InvalidAliasError",
    "ModelBytesMissingError",
    "ModelOutputExistsError",
    "ModelsFileInvalidError",
    "ModelsFileNewerSchemaError",
    "UnknownModelError",
    "UnknownVersionError",
    "short_oid",
]


def short_oid(oid: str) -> str:
    """How a version id is shown in a message (any unique prefix is accepted back)."""
    return oid[:12]


class UnknownModelError(ReproError, LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        hint = (
            f"models: {', '.join(known)}; see `repro models list`"
            if known
            else "no succeeded run recorded a model yet: give a pipeline "
            "@pipeline(model=Model(name=...)) and run it (or `repro pull` the records)"
        )
        super().__init__(f"no model named {name!r} ({hint})")


class UnknownVersionError(ReproError, LookupError):
    def __init__(self, name: str, ref: str, aliases: list[str]) -> None:
        self.name = name
        self.ref = ref
        self.aliases = aliases
        shown = f"; its aliases: {', '.join(aliases)}" if aliases else ""
        super().__init__(
            f"model {name!r} has no version or alias {ref!r}{shown}; see `repro models list {name}`"
        )


class AmbiguousVersionError(ReproError, LookupError):
    def __init__(self, name: str, prefix: str, matches: list[str]) -> None:
        self.name = name
        self.prefix = prefix
        self.matches = matches
        shown = ", ".join(short_oid(oid) for oid in matches[:5]) + (
            " …" if len(matches) > 5 else ""
        )
        super().__init__(
            f"{prefix!r} matches {len(matches)} versions of model {name!r} ({shown}); "
            "give more characters"
        )


class AliasTargetMissingError(ReproError, LookupError):
    """An alias names a version that no local run record holds: promoted
    from runs recorded elsewhere, or the records were deleted."""

    def __init__(self, name: str, alias: str, version: str, run: str) -> None:
        self.name = name
        self.alias = alias
        self.version = version
        self.run = run
        super().__init__(
            f"alias {alias!r} of model {name!r} points to version {short_oid(version)} of run "
            f"{run}, which no local run record holds; run `repro pull` to fetch the records"
        )


class AliasTakenError(ReproError):
    def __init__(self, name: str, alias: str, current: str, wanted: str) -> None:
        self.name = name
        self.alias = alias
        self.current = current
        self.wanted = wanted
        super().__init__(
            f"alias {alias!r} of model {name!r} already points to version {short_oid(current)}; "
            f"pass --force to move it to {short_oid(wanted)}"
        )


class InvalidAliasError(UsageError, ValueError):
    def __init__(self, alias: str, reason: str) -> None:
        self.alias = alias
        self.reason = reason
        super().__init__(f"invalid alias {alias!r}: {reason}")


class ModelsFileInvalidError(ReproError, ValueError):
    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"{path} is not a valid models file: {problem}; fix it "
            "(or restore the last good one from Git)"
        )


class ModelsFileNewerSchemaError(ReproError):
    def __init__(self, path: str, schema: str) -> None:
        self.path = path
        self.schema = schema
        super().__init__(f"{path} was written by a newer repro (schema {schema}): upgrade repro")


class ModelOutputExistsError(ReproError, FileExistsError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"{path} exists and holds something else; choose another -o PATH or pass --force"
        )


class ModelBytesMissingError(ReproError, FileNotFoundError):
    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version
        super().__init__(
            f"the bytes of model {name!r} version {short_oid(version)} are not in the local "
            "store; run `repro pull` to fetch them"
        )
