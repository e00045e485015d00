"""What goes wrong turning values into stored bytes and back, in one line each."""

from __future__ import annotations

from collections.abc import Sequence

from repro.errors import ReproError, UsageError

__all__ = [
    "ArtifactLoadError",
    "InvalidArtifactError",
    "InvalidMaterializerError",
    "MaterializeError",
    "MaterializerVersionError",
    "NoMaterializerError",
    "PickleNotAllowedError",
    "UnknownMaterializerError",
    "UntrustedTypesError",
]

_PICKLE_HINT = "set allow_pickle = true under [materialize] in .repro/config.toml"


class NoMaterializerError(ReproError, TypeError):
    """A value of a type that no registered materializer handles."""

    def __init__(self, type_name: str, step: str | None = None) -> None:
        self.type_name = type_name
        self.step = step
        what = f"step {step!r} returned a {type_name}" if step else f"a {type_name}"
        super().__init__(
            f"{what}, which no materializer handles; register one with "
            "@repro.materialize.register (a BytesMaterializer subclass), "
            f"or {_PICKLE_HINT}"
        )

    def with_step(self, step: str) -> NoMaterializerError:
        """The same error, naming the step that returned the value."""
        return NoMaterializerError(self.type_name, step)


class UnknownMaterializerError(ReproError, LookupError):
    """An artifact names a materializer this process has not registered."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = list(known)
        super().__init__(
            f"no materializer named {name!r} in this process (known: {', '.join(self.known)}); "
            "import the module that registers it before loading, or upgrade repro"
        )


class MaterializerVersionError(UnknownMaterializerError):
    """The materializer exists, but not the version that wrote the artifact."""

    def __init__(self, name: str, version: str, supported: str) -> None:
        self.version = version
        self.supported = supported
        ReproError.__init__(
            self,
            f"the artifact was written by materializer {name!r} version {version}, "
            f"this process has version {supported}; upgrade repro "
            "(or the package that provides it)",
        )
        self.name = name
        self.known = [name]


class PickleNotAllowedError(ReproError):
    """Pickle used without the project opting in (loading a pickle runs code)."""

    def __init__(self, action: str, oid: str | None = None) -> None:
        self.action = action
        self.oid = oid
        what = f"artifact {oid} is a pickle" if oid else "pickle is not allowed"
        super().__init__(
            f"cannot {action} a pickle: {what} and loading one runs arbitrary code; "
            f"if you trust every writer of this store, {_PICKLE_HINT}"
        )


class MaterializeError(ReproError, ValueError):
    """A value that a materializer handles but cannot store as it is."""

    def __init__(self, materializer: str, type_name: str, reason: str) -> None:
        self.materializer = materializer
        self.type_name = type_name
        self.reason = reason
        super().__init__(f"cannot store a {type_name} with materializer {materializer!r}: {reason}")


class UntrustedTypesError(ReproError):
    """A model dump that names types loading it would have to trust blindly."""

    def __init__(self, action: str, types: Sequence[str]) -> None:
        self.action = action
        self.types = sorted(types)
        super().__init__(
            f"cannot {action} the model: it needs types that skops does not trust and that "
            f"are not classes from sklearn, numpy or scipy ({', '.join(self.types)}); "
            f"use classes importable from a module, or, if you trust every writer of "
            f"this store, {_PICKLE_HINT}"
        )


class InvalidArtifactError(ReproError, ValueError):
    """An artifact description that is malformed or does not fit its materializer."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid artifact: {reason}")


class ArtifactLoadError(ReproError):
    """Stored bytes that the materializer named in the artifact cannot read."""

    def __init__(self, oid: str, materializer: str, reason: str) -> None:
        self.oid = oid
        self.materializer = materializer
        self.reason = reason
        super().__init__(
            f"cannot load artifact {oid} with materializer {materializer!r}: {reason} "
            "(was it written with other library versions than this environment's?)"
        )


class InvalidMaterializerError(UsageError, TypeError):
    """Something registered as a materializer that cannot be one."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"cannot register {what} as a materializer: {reason}")
