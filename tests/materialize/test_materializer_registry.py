"""Registry: lookup order, registration, and loading by name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

import repro.materialize
from repro.materialize import (
    Artifact,
    ArtifactLoadError,
    BytesMaterializer,
    InvalidArtifactError,
    InvalidMaterializerError,
    MaterializeOptions,
    Materializer,
    MaterializerVersionError,
    NoMaterializerError,
    Registry,
    UnknownMaterializerError,
    default_registry,
)
from repro.store import ObjectStore


class Shout(BytesMaterializer):
    """Takes str ahead of the built-in text materializer."""

    name = "shout"
    version = "1"
    types = (str,)

    def to_bytes(self, value: object) -> bytes:
        assert isinstance(value, str)
        return value.upper().encode()

    def from_bytes(self, data: bytes) -> object:
        return data.decode().lower()


class Celsius(float):
    pass


class CelsiusMaterializer(BytesMaterializer):
    name = "test.celsius"
    version = "2"
    types = (Celsius,)

    def to_bytes(self, value: object) -> bytes:
        return repr(float(value)).encode()  # type: ignore[arg-type]

    def from_bytes(self, data: bytes) -> object:
        return Celsius(float(data))


class EveryThing(BytesMaterializer):
    name = "everything"
    version = "1"
    fallback = True

    def handles(self, value: object) -> bool:
        return True

    def to_bytes(self, value: object) -> bytes:
        return repr(value).encode()

    def from_bytes(self, data: bytes) -> object:
        return data.decode()


@pytest.fixture
def clean_default() -> Iterator[None]:
    """Put the default registry back as it was after the test."""
    before = {m.name for m in default_registry().materializers()}
    yield
    for materializer in default_registry().materializers():
        if materializer.name not in before:
            default_registry().unregister(materializer.name)


def test_builtins_are_in_lookup_order(registry: Registry) -> None:
    assert [m.name for m in registry.materializers()] == [
        "text",
        "bytes",
        "json",
        "numpy.npy",
        "pandas.parquet",
        "file",
        "path",
        "sklearn.skops",
        "drift.report",
        "pickle",
    ]


def test_a_user_materializer_wins_over_a_builtin(registry: Registry, store: ObjectStore) -> None:
    registry.register(Shout())
    artifact = registry.dump("hello", store)
    assert artifact.materializer == "shout"
    assert store.read(artifact.oid) == b"HELLO"


def test_a_user_materializer_loads_its_artifacts(registry: Registry, store: ObjectStore) -> None:
    registry.register(Shout())
    assert registry.load(registry.dump("hello", store), store) == "hello"


def test_first_false_goes_after_the_builtins(registry: Registry) -> None:
    registry.register(Shout(), first=False)
    assert registry.for_value("hello", MaterializeOptions()).name == "text"


def test_first_false_goes_before_the_fallback(registry: Registry) -> None:
    registry.register(CelsiusMaterializer(), first=False)
    options = MaterializeOptions(allow_pickle=True)
    assert registry.for_value(Celsius(21.5), options).name == "test.celsius"


def test_a_fallback_stays_behind_the_others(registry: Registry) -> None:
    registry.register(EveryThing())
    assert registry.for_value(3, MaterializeOptions()).name == "json"
    assert registry.for_value(object(), MaterializeOptions()).name == "everything"


def test_registering_a_name_again_replaces_it(registry: Registry) -> None:
    registry.register(Shout())
    registry.register(Shout())
    assert [m.name for m in registry.materializers()].count("shout") == 1


def test_register_decorates_a_class(clean_default: None, store: ObjectStore) -> None:
    decorated = repro.materialize.register(CelsiusMaterializer)
    assert decorated is CelsiusMaterializer
    artifact = repro.materialize.dump(Celsius(21.5), store)
    assert (artifact.materializer, artifact.version) == ("test.celsius", "2")
    assert repro.materialize.load(artifact, store) == Celsius(21.5)


def test_register_takes_an_instance(clean_default: None) -> None:
    instance = Shout()
    assert repro.materialize.register(instance) is instance
    assert default_registry().by_name("shout") is instance


def test_register_refuses_what_is_not_a_materializer(clean_default: None) -> None:
    with pytest.raises(InvalidMaterializerError, match="it is not a Materializer subclass"):
        repro.materialize.register(int)  # type: ignore[type-var]


def test_register_refuses_an_abstract_class(clean_default: None) -> None:
    class Half(BytesMaterializer):
        name = "half"
        version = "1"

    with pytest.raises(
        InvalidMaterializerError, match="Half as a materializer: Can't instantiate abstract class"
    ):
        repro.materialize.register(Half)


def test_a_materializer_needs_a_name(registry: Registry) -> None:
    class Nameless(Shout):
        name = ""

    with pytest.raises(InvalidMaterializerError, match="its name must be a non-empty string"):
        registry.register(Nameless())


def test_nothing_handles_an_object(registry: Registry) -> None:
    with pytest.raises(NoMaterializerError, match=r"a builtins\.object, which no materializer"):
        registry.for_value(object(), MaterializeOptions())


def test_an_unknown_name_is_refused_on_load(registry: Registry, store: ObjectStore) -> None:
    artifact = replace(registry.dump("x", store), materializer="torch.pt")
    with pytest.raises(UnknownMaterializerError, match=r"no materializer named 'torch.pt'.*import"):
        registry.load(artifact, store)


def test_the_unknown_name_error_lists_the_known(registry: Registry) -> None:
    with pytest.raises(UnknownMaterializerError, match=r"known: bytes, drift.report, file, json"):
        registry.by_name("torch.pt")


def test_an_unknown_version_is_refused_on_load(registry: Registry, store: ObjectStore) -> None:
    artifact = replace(registry.dump("x", store), version="9")
    with pytest.raises(MaterializerVersionError, match=r"'text' version 9.*upgrade repro"):
        registry.load(artifact, store)


def test_a_kind_that_does_not_fit_is_refused(registry: Registry, store: ObjectStore) -> None:
    artifact = replace(registry.dump("x", store), kind="tree")
    with pytest.raises(InvalidArtifactError, match="is a tree, materializer 'text' stores a blob"):
        registry.load(artifact, store)


def test_unregister_removes_a_materializer(registry: Registry) -> None:
    registry.register(Shout())
    registry.unregister("shout")
    assert registry.for_value("hello", MaterializeOptions()).name == "text"


def test_unregister_refuses_an_unknown_name(registry: Registry) -> None:
    with pytest.raises(UnknownMaterializerError, match="no materializer named 'nope'"):
        registry.unregister("nope")


def test_the_default_registry_is_shared() -> None:
    assert default_registry() is default_registry()


def test_module_functions_use_the_default_registry(store: ObjectStore) -> None:
    artifact = repro.materialize.dump([1, 2], store)
    assert isinstance(artifact, Artifact)
    assert repro.materialize.load(artifact, store) == [1, 2]


def test_handles_defaults_to_types() -> None:
    materializer: Materializer = CelsiusMaterializer()
    assert materializer.handles(Celsius(1.0))
    assert not materializer.handles(1.0)


@pytest.mark.parametrize(
    ("materializer", "data"),
    [
        ("json", b"{not json"),
        ("numpy.npy", b"not an npy file"),
        ("pandas.parquet", b"not parquet"),
        ("sklearn.skops", b"not a zip"),
        ("text", b"\xff\xfe"),
    ],
)
def test_bytes_a_materializer_cannot_read_fail_with_the_artifact(
    registry: Registry, store: ObjectStore, materializer: str, data: bytes
) -> None:
    artifact = Artifact(store.write(data), "blob", materializer, "1", "x.Y", len(data))
    with pytest.raises(ArtifactLoadError, match=f"cannot load artifact {artifact.oid} with"):
        registry.load(artifact, store)
