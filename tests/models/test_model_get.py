"""`get`: a version's stored bytes written to a path, a blob as a file and
a tree checked out as a folder; nothing else at the path is lost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
from models_testing import Trained

from repro.models import ModelBytesMissingError, ModelOutputExistsError, get_model
from repro.project import Project


def test_a_blob_model_is_written_as_its_stored_bytes(
    trained: Trained, trained_project: Project, tmp_path: Path
) -> None:
    oid = trained.version(trained.second_run)
    done = get_model(trained_project, f"line@{oid[:8]}", str(tmp_path / "model.skops"))
    data = (tmp_path / "model.skops").read_bytes()
    assert data == trained_project.store().read(oid)
    assert (done.kind, done.materializer, done.size) == ("blob", "sklearn.skops", len(data))


def test_the_written_estimator_loads_and_predicts(trained_project: Project, tmp_path: Path) -> None:
    get_model(trained_project, "line", str(tmp_path / "model.skops"))
    path = tmp_path / "model.skops"
    model = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    assert np.allclose(model.predict(pd.DataFrame({"x": [10.0]})), [22.0])  # y = 2 (x + 1)


def test_by_default_it_is_named_after_the_model_and_version_here(
    trained: Trained, trained_project: Project
) -> None:
    done = get_model(trained_project, "line")
    oid = trained.version(trained.rerun)
    assert done.path == str(trained.root / f"line-{oid[:12]}.skops")
    assert Path(done.path).is_file()


def test_into_an_existing_folder_it_writes_its_default_name(
    trained: Trained, trained_project: Project, tmp_path: Path
) -> None:
    done = get_model(trained_project, "line", str(tmp_path))
    assert done.path == str(tmp_path / f"line-{trained.version(trained.rerun)[:12]}.skops")


def test_a_tree_model_is_checked_out_as_a_folder(trained_project: Project, tmp_path: Path) -> None:
    done = get_model(trained_project, "bundle", str(tmp_path / "bundle"))
    assert done.kind == "tree"
    assert (tmp_path / "bundle" / "weights.txt").read_text() == "4\n"
    assert (tmp_path / "bundle" / "meta" / "card.md").read_text() == "# bundle\n"


def test_other_bytes_at_the_path_are_kept(trained_project: Project, tmp_path: Path) -> None:
    target = tmp_path / "model.skops"
    target.write_text("my notes")
    with pytest.raises(ModelOutputExistsError, match=r"model.skops exists .* pass --force"):
        get_model(trained_project, "line", str(target))
    assert target.read_text() == "my notes"


def test_force_overwrites_them(trained_project: Project, tmp_path: Path) -> None:
    target = tmp_path / "model.skops"
    target.write_text("my notes")
    get_model(trained_project, "line", str(target), force=True)
    assert target.read_bytes().startswith(b"PK")  # a skops zip


def test_getting_the_same_version_again_is_a_no_op(
    trained_project: Project, tmp_path: Path
) -> None:
    target = str(tmp_path / "model.skops")
    get_model(trained_project, "line", target)
    assert get_model(trained_project, "line", target).path == target


def test_bytes_missing_from_the_store_say_to_pull(
    trained: Trained, trained_project: Project, tmp_path: Path
) -> None:
    (trained.root / ".repro" / "config.local.toml").write_text('[cache]\ndir = "empty-cache"\n')
    with pytest.raises(ModelBytesMissingError, match=r"not in the local store; run `repro pull`"):
        get_model(trained_project, "line", str(tmp_path / "model.skops"))
    assert not (tmp_path / "model.skops").exists()
