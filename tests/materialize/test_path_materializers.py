"""file and path: files and folders a step returns, as trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from repro_testing import write_files

from repro.materialize import InvalidArtifactError, MaterializeError, MaterializeOptions, Registry
from repro.store import ObjectStore, read_tree


def _contents(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    write_files(folder, {"a.txt": b"alpha", "sub/b.csv": b"x,y\n1,2\n", "sub/deep/c.bin": b"c"})
    return folder


def test_a_file_round_trips_with_its_name(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    source = tmp_path / "model.onnx"
    source.write_bytes(b"\x00weights")
    loaded = registry.load(registry.dump(source, store, options), store, options)
    assert isinstance(loaded, Path)
    assert loaded.name == "model.onnx"
    assert loaded.read_bytes() == b"\x00weights"


def test_a_file_is_a_tree_of_one(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    source = tmp_path / "data.csv"
    source.write_text("a\n1\n")
    artifact = registry.dump(source, store, options)
    assert (artifact.materializer, artifact.kind, artifact.size) == ("file", "tree", 4)
    assert [entry.path for entry in read_tree(store, artifact.oid).entries] == ["data.csv"]


def test_a_folder_round_trips(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    loaded = registry.load(registry.dump(folder, store, options), store, options)
    assert isinstance(loaded, Path)
    assert _contents(loaded) == _contents(folder)


def test_a_folder_artifact_is_its_tree(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    artifact = registry.dump(_folder(tmp_path), store, options)
    assert (artifact.materializer, artifact.kind, artifact.type) == (
        "path",
        "tree",
        "pathlib.PosixPath",
    )
    assert artifact.size == len("alpha") + len("x,y\n1,2\n") + 1


def test_an_executable_bit_survives(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    os.chmod(folder / "a.txt", 0o755)
    loaded = registry.load(registry.dump(folder, store, options), store, options)
    assert isinstance(loaded, Path)
    assert os.access(loaded / "a.txt", os.X_OK)


def test_an_empty_folder_loads_as_an_empty_folder(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    artifact = registry.dump(empty, store, options)
    loaded = registry.load(artifact, store, options)
    assert isinstance(loaded, Path)
    assert loaded.is_dir()
    assert list(loaded.iterdir()) == []
    assert artifact.size == 0


def test_the_same_content_elsewhere_gives_one_oid(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    first = _folder(tmp_path / "one")
    second = _folder(tmp_path / "two")
    assert registry.dump(first, store, options).oid == registry.dump(second, store, options).oid


def test_loading_twice_gives_the_same_folder(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    artifact = registry.dump(_folder(tmp_path), store, options)
    first = registry.load(artifact, store, options)
    second = registry.load(artifact, store, options)
    assert first == second
    assert isinstance(second, Path)
    assert _contents(second) == _contents(_folder(tmp_path / "again"))


def test_loading_twice_gives_the_same_file(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    source = tmp_path / "f.txt"
    source.write_text("same")
    artifact = registry.dump(source, store, options)
    first = registry.load(artifact, store, options)
    assert registry.load(artifact, store, options) == first
    assert isinstance(first, Path)
    assert first.read_text() == "same"


def test_a_load_restores_a_changed_checkout(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    artifact = registry.dump(folder, store, options)
    loaded = registry.load(artifact, store, options)
    assert isinstance(loaded, Path)
    (loaded / "stray.txt").write_text("left by a consumer")
    registry.load(artifact, store, options)
    assert _contents(loaded) == _contents(folder)


def test_loads_go_under_the_workdir(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    artifact = registry.dump(_folder(tmp_path), store, options)
    assert registry.load(artifact, store, options) == Path(options.workdir or "") / artifact.oid


def test_without_a_workdir_loads_go_to_a_temp_folder(
    registry: Registry, store: ObjectStore, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    artifact = registry.dump(folder, store)
    loaded = registry.load(artifact, store)
    assert isinstance(loaded, Path)
    assert not loaded.is_relative_to(tmp_path)
    assert _contents(loaded) == _contents(folder)


def test_a_missing_path_is_refused(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    with pytest.raises(MaterializeError, match=r"'path': .*nowhere does not exist"):
        registry.dump(tmp_path / "nowhere", store, options)


def test_another_hash_than_the_stores_is_refused(
    registry: Registry, store: ObjectStore, tmp_path: Path
) -> None:
    options = MaterializeOptions(algorithm="sha256", workdir=str(tmp_path / "work"))
    with pytest.raises(MaterializeError, match="options use sha256, the store xxh3-128"):
        registry.dump(_folder(tmp_path), store, options)


def test_a_folder_tree_is_not_loaded_as_a_file(
    registry: Registry, store: ObjectStore, options: MaterializeOptions, tmp_path: Path
) -> None:
    artifact = registry.dump(_folder(tmp_path), store, options)
    as_file = registry.by_name("file")
    with pytest.raises(InvalidArtifactError, match="holds more than one file"):
        as_file.load(artifact, store, options)
