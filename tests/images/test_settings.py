from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from repro.errors import UsageError
from repro.images.errors import ImageSettingsError, InvalidImageRefError
from repro.images.settings import (
    DEFAULT_BASE_IMAGE,
    default_repository,
    load_docker_settings,
    record_image,
)
from repro.runner.targets import configured_pipelines

PINNED = "127.0.0.1:5000/proj@sha256:" + "a" * 64


def write(root: Path, text: str) -> Path:
    path = root / "pyproject.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_pyproject(tmp_path: Path) -> None:
    settings = load_docker_settings(str(tmp_path))
    assert (settings.image, settings.base, settings.requirements) == (
        None,
        DEFAULT_BASE_IMAGE,
        None,
    )


def test_the_default_repository_is_the_folder_name(tmp_path: Path) -> None:
    root = tmp_path / "My Project_2"
    root.mkdir()
    assert load_docker_settings(str(root)).repository == "my-project-2"


def test_a_folder_name_with_nothing_usable_still_names_a_repository(tmp_path: Path) -> None:
    assert default_repository(str(tmp_path / "___")) == "repro-project"


def test_the_default_repository_names_no_registry(tmp_path: Path) -> None:
    assert load_docker_settings(str(tmp_path)).registry is None


def test_configured_settings_are_read(tmp_path: Path) -> None:
    (tmp_path / "locks").mkdir()
    (tmp_path / "locks" / "py.lock").write_text("xxhash==3.4.1\n")
    write(
        tmp_path,
        f'[tool.repro]\nimage = "{PINNED}"\n\n[tool.repro.docker]\nbase = "python:3.11"\n'
        'repository = "127.0.0.1:5000/team/proj"\nrequirements = "locks/py.lock"\n',
    )
    settings = load_docker_settings(str(tmp_path))
    assert (settings.image, settings.base, settings.repository, settings.registry) == (
        PINNED,
        "python:3.11",
        "127.0.0.1:5000/team/proj",
        "127.0.0.1:5000",
    )
    assert settings.requirements == os.path.join(tmp_path, "locks/py.lock")


@pytest.mark.parametrize(
    ("present", "found"),
    [
        (["requirements.txt"], "requirements.txt"),
        (["requirements.lock", "requirements.txt"], "requirements.lock"),
    ],
)
def test_the_requirements_default_to_the_first_lock_present(
    tmp_path: Path, present: list[str], found: str
) -> None:
    for name in present:
        (tmp_path / name).write_text("xxhash==3.4.1\n")
    assert load_docker_settings(str(tmp_path)).requirements == os.path.join(tmp_path, found)


def test_a_localhost_repository_names_a_registry(tmp_path: Path) -> None:
    write(tmp_path, '[tool.repro.docker]\nrepository = "localhost/proj"\n')
    assert load_docker_settings(str(tmp_path)).registry == "localhost"


def test_a_missing_requirements_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, '[tool.repro.docker]\nrequirements = "nope.lock"\n')
    with pytest.raises(ImageSettingsError, match=r"requirements: .*nope.lock does not exist"):
        load_docker_settings(str(tmp_path))


def test_an_unknown_docker_key_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, '[tool.repro.docker]\nbsae = "x"\n')
    with pytest.raises(ImageSettingsError, match=r"\[tool.repro.docker\] bsae: unknown \(base,"):
        load_docker_settings(str(tmp_path))


def test_a_malformed_image_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[tool.repro]\nimage = "Bad:Image"\n')
    with pytest.raises(ImageSettingsError, match=rf"{path}: \[tool.repro\] image: .*lowercase"):
        load_docker_settings(str(tmp_path))


def test_a_repository_with_a_tag_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, '[tool.repro.docker]\nrepository = "127.0.0.1:5000/proj:v1"\n')
    with pytest.raises(ImageSettingsError, match="a name only, without :TAG"):
        load_docker_settings(str(tmp_path))


def test_a_non_string_base_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "[tool.repro.docker]\nbase = 3\n")
    with pytest.raises(ImageSettingsError, match="base: must be a string"):
        load_docker_settings(str(tmp_path))


def test_invalid_toml_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "[tool.repro\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_docker_settings(str(tmp_path))


def test_record_keeps_comments_and_other_tables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '# the project\n[project]\nname = "x"  # its name\n\n[tool.repro]\n'
        '# what steps run in\nimage = "old:1"  # replaced by builds\n\n'
        '[tool.repro.pipelines]\nflow = "flow.py:flow"\n',
    )
    record_image(str(tmp_path), PINNED)
    assert path.read_text() == (
        '# the project\n[project]\nname = "x"  # its name\n\n[tool.repro]\n'
        f'# what steps run in\nimage = "{PINNED}"  # replaced by builds\n\n'
        '[tool.repro.pipelines]\nflow = "flow.py:flow"\n'
    )


def test_record_makes_the_table_before_existing_subtables(tmp_path: Path) -> None:
    write(tmp_path, '[tool.repro.pipelines]\nflow = "flow.py:flow"\n')
    record_image(str(tmp_path), PINNED)
    assert load_docker_settings(str(tmp_path)).image == PINNED
    assert configured_pipelines(str(tmp_path)) == {"flow": "flow.py:flow"}


def test_record_makes_the_file(tmp_path: Path) -> None:
    path = record_image(str(tmp_path), PINNED)
    assert tomllib.loads(Path(path).read_text()) == {"tool": {"repro": {"image": PINNED}}}


def test_record_leaves_no_temporary_file(tmp_path: Path) -> None:
    write(tmp_path, "[project]\n")
    record_image(str(tmp_path), PINNED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]


def test_record_refuses_an_unpinned_reference(tmp_path: Path) -> None:
    with pytest.raises(InvalidImageRefError, match="only a pinned NAME@sha256:DIGEST"):
        record_image(str(tmp_path), "proj:v1")
    assert not (tmp_path / "pyproject.toml").exists()


def test_record_refuses_a_malformed_file_and_leaves_it(tmp_path: Path) -> None:
    path = write(tmp_path, "[tool.repro\n")
    with pytest.raises(ImageSettingsError, match="not valid TOML"):
        record_image(str(tmp_path), PINNED)
    assert path.read_text() == "[tool.repro\n"
