"""The pieces every materializer shares: what a stored output is (``Artifact``),
the settings of a dump or load, and the interface a materializer implements."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, ClassVar

from repro.materialize.errors import ArtifactLoadError, InvalidArtifactError, MaterializeError

if TYPE_CHECKING:
    from repro.store import ObjectStore

__all__ = [
    "KINDS",
    "Artifact",
    "BytesMaterializer",
    "MaterializeOptions",
    "Materializer",
    "defined_in",
    "type_name",
]

KINDS = ("blob", "tree")
_HEX = re.compile(r"[0-9a-f]+")
_FIELDS = ("oid", "kind", "materializer", "version", "type", "size")


@dataclass(frozen=True)
class Artifact:
    """A stored output: where its bytes are and how to turn them back into a value."""

    oid: str  # id of a blob or a tree in the ObjectStore
    kind: str  # "blob" or "tree"
    materializer: str
    version: str  # the materializer's format version
    type: str  # "module.QualName" of the dumped value's type
    size: int  # bytes stored (the sum of its blobs for a tree)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Artifact:
        unexpected = sorted(set(data) - set(_FIELDS))
        if unexpected:
            raise InvalidArtifactError(f"unexpected keys {unexpected}")
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise InvalidArtifactError(f"missing keys {missing}")
        text = {name: _text(data, name) for name in _FIELDS[:-1]}
        size = data["size"]
        if type(size) is not int or size < 0:
            raise InvalidArtifactError(f"size must be a non-negative integer, not {size!r}")
        return cls(size=size, **text)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidArtifactError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if _HEX.fullmatch(self.oid) is None:
            raise InvalidArtifactError(f"oid must be lowercase hex, not {self.oid!r}")


def _text(data: Mapping[str, object], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value:
        raise InvalidArtifactError(f"{name} must be a non-empty string, not {value!r}")
    return value


@dataclass(frozen=True)
class MaterializeOptions:
    # The project opts in (config): loading a pickle runs code.
    allow_pickle: bool = False
    # The hash of the path materializers' snapshots; must be the store's.
    algorithm: str = "xxh3-128"
    # Where loads that produce files check them out; a temp folder if None.
    workdir: str | None = None


def type_name(value: object) -> str:
    """``module.QualName`` of the type of ``value`` (``builtins.int`` for 3)."""
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def defined_in(value: object, package: str) -> bool:
    """Whether ``value``'s type or one of its bases comes from ``package``: a
    test that needs no import of ``package``, so asking about an int stays cheap."""
    prefix = package + "."
    return any(
        cls.__module__ == package or cls.__module__.startswith(prefix)
        for cls in type(value).__mro__
    )


class Materializer(ABC):
    """Turns values of some types into stored bytes and back, the same bytes
    for the same value in every process.

    ``name`` and ``version`` go into the run record; bump ``version`` when
    the stored format changes, and list the versions ``load`` still reads
    in ``reads``.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    # The types ``handles`` accepts by default (instances of subclasses too).
    types: ClassVar[tuple[type, ...]] = ()
    # A fallback is tried after every other materializer, whatever the order
    # they were registered in.
    fallback: ClassVar[bool] = False

    def handles(self, value: object) -> bool:
        return isinstance(value, self.types)

    def enabled(self, options: MaterializeOptions) -> bool:
        """Whether this materializer may be chosen under ``options``."""
        return True

    def reads(self, version: str) -> bool:
        """Whether ``load`` understands artifacts of format ``version``."""
        return version == self.version

    @abstractmethod
    def dump(self, value: object, store: ObjectStore, options: MaterializeOptions) -> Artifact: ...

    @abstractmethod
    def load(
        self, artifact: Artifact, store: ObjectStore, options: MaterializeOptions
    ) -> object: ...

    def artifact(self, value: object, oid: str, kind: str, size: int) -> Artifact:
        return Artifact(oid, kind, self.name, self.version, type_name(value), size)

    def refuse(self, value: object, reason: str) -> MaterializeError:
        """The error for a value this materializer handles but cannot store."""
        return MaterializeError(self.name, type_name(value), reason)

    def expect_kind(self, artifact: Artifact, kind: str) -> None:
        if artifact.kind != kind:
            raise InvalidArtifactError(
                f"{artifact.oid} is a {artifact.kind}, materializer {self.name!r} stores a {kind}"
            )


class BytesMaterializer(Materializer):
    """A materializer whose output is one blob: implement ``to_bytes`` and
    ``from_bytes`` (and ``types`` or ``handles``)."""

    # What ``from_bytes`` raises for bytes it cannot read; a load turns them
    # into an ``ArtifactLoadError`` that names the artifact.
    load_errors: ClassVar[tuple[type[Exception], ...]] = (ValueError, TypeError, EOFError)

    @abstractmethod
    def to_bytes(self, value: object) -> bytes: ...

    @abstractmethod
    def from_bytes(self, data: bytes) -> object: ...

    def dump(self, value: object, store: ObjectStore, options: MaterializeOptions) -> Artifact:
        data = self.to_bytes(value)
        return self.artifact(value, store.write(data), "blob", len(data))

    def load(self, artifact: Artifact, store: ObjectStore, options: MaterializeOptions) -> object:
        self.expect_kind(artifact, "blob")
        data = store.read(artifact.oid)
        try:
            return self.from_bytes(data)
        except self.load_errors as exc:
            raise ArtifactLoadError(artifact.oid, self.name, str(exc) or repr(exc)) from exc
