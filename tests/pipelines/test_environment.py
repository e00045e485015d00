"""Environment fingerprints: pins that travel between machines, nothing personal."""

from __future__ import annotations

import getpass
import importlib.metadata
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from repro_testing import write_files

from repro.pipelines.environment import (
    Environment,
    EnvironmentRecordError,
    current_versions,
    distributions_for,
    environment,
    find_lockfile,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_files(tmp_path / "project", {"uv.lock": b"version = 1\n"})


def make_environment(**changes: object) -> Environment:
    fields: dict[str, object] = {
        "python": "cpython-3.11",
        "python_full": "3.11.7",
        "platform": "linux-x86_64",
        "lockfile": "uv.lock",
        "lockfile_oid": "0" * 32,
        "distributions": {"numpy": "2.1.0", "pyyaml": "6.0.2"},
    }
    return Environment(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_oid_is_stable_across_calls(root: Path) -> None:
    first = environment(str(root), ["yaml", "xxhash"])
    second = environment(str(root), ["xxhash", "yaml"])
    assert first.oid == second.oid


FRESH = """
import sys
from repro.pipelines.environment import environment
print(environment(sys.argv[1], ["yaml", "xxhash"]).oid)
"""


def test_the_oid_is_the_same_in_a_fresh_interpreter(root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FRESH, str(root)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "4321"},
        cwd="/",
    )
    assert done.stdout.strip() == environment(str(root), ["yaml", "xxhash"]).oid


def test_the_oid_changes_when_the_lock_file_changes(root: Path) -> None:
    before = environment(str(root), ["yaml"])
    (root / "uv.lock").write_bytes(b"version = 2\n")
    assert environment(str(root), ["yaml"]).oid != before.oid


def test_the_oid_changes_when_a_distribution_version_differs() -> None:
    newer = make_environment(distributions={"numpy": "2.2.0", "pyyaml": "6.0.2"})
    assert newer.oid != make_environment().oid


def test_the_oid_changes_when_an_imported_distribution_version_differs(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = environment(str(root), ["yaml"])
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "999.0")
    assert environment(str(root), ["yaml"]).oid != before.oid


def test_the_oid_changes_with_the_image() -> None:
    assert make_environment(image="sha256:" + "a" * 64).oid != make_environment().oid


def test_the_patch_level_of_python_does_not_change_the_oid() -> None:
    assert make_environment(python_full="3.11.9").oid == make_environment().oid


def test_the_order_of_distributions_does_not_change_the_oid() -> None:
    reordered = make_environment(distributions={"pyyaml": "6.0.2", "numpy": "2.1.0"})
    assert reordered.oid == make_environment().oid


def test_python_and_platform_are_spelled_portably(root: Path) -> None:
    env = environment(str(root), [])
    expected_python = f"{sys.implementation.name}-{sys.version_info.major}.{sys.version_info.minor}"
    assert (env.python, env.platform.split("-")[0]) == (expected_python, sys.platform)
    assert env.python_full.startswith(expected_python.split("-")[1] + ".")


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)


def test_no_path_user_or_host_name_is_recorded(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    strings = list(strings_in(environment(str(root), ["yaml", "xxhash"]).to_dict()))
    home, user, host = os.path.expanduser("~"), getpass.getuser(), socket.gethostname()
    assert not [s for s in strings if str(root) in s or os.getcwd() in s or home in s]
    # A short user or host name ("root", "vm") may occur inside other words:
    # only a value equal to one, or a path-like value containing one, is a leak.
    assert not [s for s in strings if s in (user, host) or f"/{user}" in s or f"/{host}" in s]


def test_only_the_distributions_of_the_given_modules_are_recorded(root: Path) -> None:
    env = environment(str(root), ["yaml"])
    assert list(env.distributions) == ["pyyaml"]


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (["requirements.txt", "uv.lock", "poetry.lock"], "uv.lock"),
        (["requirements.txt", "poetry.lock", "pylock.toml"], "pylock.toml"),
        (["requirements.txt", "requirements.lock", "poetry.lock"], "poetry.lock"),
        (["requirements.txt", "requirements.lock"], "requirements.lock"),
        (["requirements-dev.txt", "requirements.txt"], "requirements.txt"),
        (["requirements-prod.txt", "requirements-dev.txt"], "requirements-dev.txt"),
        (["setup.py", "README.md"], None),
    ],
)
def test_find_lockfile_takes_the_first_in_the_documented_order(
    tmp_path: Path, present: list[str], expected: str | None
) -> None:
    write_files(tmp_path, {name: b"x\n" for name in present})
    assert find_lockfile(str(tmp_path)) == expected


def test_find_lockfile_ignores_a_folder_with_a_lock_file_name(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").mkdir()
    write_files(tmp_path, {"requirements.txt": b"x\n"})
    assert find_lockfile(str(tmp_path)) == "requirements.txt"


def test_no_lock_file_gives_no_lock_file_oid(tmp_path: Path) -> None:
    env = environment(str(tmp_path), [])
    assert (env.lockfile, env.lockfile_oid) == (None, None)


def test_distributions_for_maps_a_module_to_its_distribution() -> None:
    assert distributions_for(["yaml"]) == {"pyyaml": importlib.metadata.version("PyYAML")}


def test_distributions_for_ignores_the_standard_library_and_unknown_modules() -> None:
    assert distributions_for(["json", "os", "no_such_module_anywhere"]) == {}


def test_distributions_for_leaves_out_repro_itself() -> None:
    assert distributions_for(["repro"]) == {}


def test_current_versions_gives_none_for_a_missing_distribution() -> None:
    assert current_versions(["PyYAML", "no-such-distribution-anywhere"]) == {
        "PyYAML": importlib.metadata.version("PyYAML"),
        "no-such-distribution-anywhere": None,
    }


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


@given(
    distributions=st.dictionaries(names, names, max_size=5),
    lockfile=st.none() | names,
    image=st.none() | names,
)
def test_to_dict_and_from_dict_round_trip(
    distributions: dict[str, str], lockfile: str | None, image: str | None
) -> None:
    env = make_environment(distributions=distributions, lockfile=lockfile, image=image)
    again = Environment.from_dict(env.to_dict())
    assert (again, again.oid) == (env, env.oid)


def test_from_dict_refuses_a_record_whose_oid_does_not_match() -> None:
    record = {**make_environment().to_dict(), "oid": "f" * 32}
    with pytest.raises(EnvironmentRecordError, match=r"oid .* does not match"):
        Environment.from_dict(record)


def test_from_dict_refuses_a_record_with_a_missing_field() -> None:
    record = make_environment().to_dict()
    del record["platform"]
    with pytest.raises(EnvironmentRecordError, match="'platform' must be a string"):
        Environment.from_dict(record)


def test_from_dict_refuses_versions_that_are_not_strings() -> None:
    record = {**make_environment().to_dict(), "distributions": {"numpy": 2}}
    record.pop("oid")
    with pytest.raises(EnvironmentRecordError, match="'distributions' must map"):
        Environment.from_dict(record)
