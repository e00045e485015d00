"""Adding, listing, removing remotes and choosing the default, through the
functions the CLI calls: the config file keeps the user's comments, holds
no credential, and stays valid."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
from fsspec.registry import register_implementation
from s3_testing import S3Server

from repro.config import CredentialInConfigError, load_config
from repro.project import Project
from repro.remotes import (
    InvalidRemoteNameError,
    InvalidRemoteUrlError,
    NoDefaultRemoteError,
    RemoteExistsError,
    RemoteNotFoundError,
    UnknownRemoteError,
    add_remote,
    get_remote,
    list_remotes,
    remove_remote,
    set_default_remote,
    storage_options,
)
from repro.store.fs import MissingFilesystemError


def _committed(project: Project) -> dict[str, Any]:
    with open(os.path.join(project.repro_dir, "config.toml"), "rb") as file:
        return tomllib.load(file)


def _text(project: Project, name: str = "config.toml") -> str:
    return Path(project.repro_dir, name).read_text()


def test_add_writes_the_url_and_options_to_the_committed_config(project: Project) -> None:
    options = {"endpoint_url": "http://localhost:9000", "client_kwargs": {"region_name": "eu"}}
    add_remote(project, "origin", "s3://bucket/store", options=options)
    assert _committed(project)["remote"] == {"origin": {"url": "s3://bucket/store", **options}}


def test_add_keeps_comments_and_layout(project: Project) -> None:
    path = Path(project.repro_dir, "config.toml")
    path.write_text(path.read_text() + "# where the team's runs live\n")
    before = _text(project)
    add_remote(project, "origin", "s3://bucket/store", default=True)
    after = _text(project)
    assert "# where the team's runs live" in after
    assert after.startswith(before.split("[cache]")[0].rstrip("\n"))


def test_add_default_sets_core_remote(project: Project) -> None:
    add_remote(project, "origin", "s3://bucket/store", default=True)
    assert load_config(project.repro_dir).core.remote == "origin"


def test_add_local_writes_only_the_local_config(project: Project) -> None:
    add_remote(project, "scratch", "s3://bucket/mine", local=True)
    assert "remote" not in _committed(project)
    assert load_config(project.repro_dir).remotes["scratch"].file.endswith("config.local.toml")


def test_add_refuses_a_password_in_the_committed_config(project: Project) -> None:
    before = _text(project)
    with pytest.raises(CredentialInConfigError, match=r"holds a password.*--local"):
        add_remote(project, "origin", "s3://AKIAKEY:hunter2@bucket/store")
    assert _text(project) == before


def test_add_refuses_a_credential_option_in_the_committed_config(project: Project) -> None:
    with pytest.raises(CredentialInConfigError, match=r"remote\.origin\.secret_access_key"):
        add_remote(project, "origin", "s3://bucket", options={"secret_access_key": "x"})


def test_add_local_accepts_a_password(project: Project) -> None:
    add_remote(project, "origin", "https://me:pw@host/store", local=True)
    assert [r.url for r in list_remotes(project)] == ["https://me:***@host/store"]


def test_add_an_existing_name_fails_without_force(project: Project) -> None:
    add_remote(project, "origin", "s3://bucket/one")
    with pytest.raises(RemoteExistsError, match=r"'origin' already exists.*--force"):
        add_remote(project, "origin", "s3://bucket/two")


def test_add_force_replaces(project: Project) -> None:
    add_remote(project, "origin", "s3://bucket/one", options={"endpoint_url": "http://a"})
    add_remote(project, "origin", "s3://bucket/two", force=True)
    assert _committed(project)["remote"]["origin"] == {"url": "s3://bucket/two"}


def test_add_refuses_an_invalid_name(project: Project) -> None:
    with pytest.raises(InvalidRemoteNameError, match="'my remote' is not a valid remote name"):
        add_remote(project, "my remote", "s3://bucket")


def test_add_refuses_an_unknown_protocol(project: Project) -> None:
    with pytest.raises(InvalidRemoteUrlError, match="unknown protocol 'nosuch'"):
        add_remote(project, "origin", "nosuch://bucket")


def test_add_names_the_package_a_protocol_needs(project: Project) -> None:
    register_implementation(
        "reprotest", "repro_missing_fs.FileSystem", errtxt="Install repro-missing-fs", clobber=True
    )
    with pytest.raises(MissingFilesystemError, match="pip install repro_missing_fs"):
        add_remote(project, "origin", "reprotest://bucket")


def test_a_relative_folder_is_stored_relative_to_the_project_root(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = Path(project.root, "sub")
    sub.mkdir()
    monkeypatch.chdir(sub)
    add_remote(project, "shared", "../../shared-store")
    assert _committed(project)["remote"]["shared"]["url"] == "../shared-store"


def test_a_relative_folder_opens_against_the_project_root_from_anywhere(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(project.root)
    add_remote(project, "shared", "../shared-store")
    monkeypatch.chdir(tmp_path)
    remote = get_remote(load_config(project.repro_dir), "shared")
    assert remote.url == os.path.join(os.path.dirname(project.root), "shared-store")


def test_list_names_url_options_default_and_file(project: Project) -> None:
    add_remote(project, "origin", "s3://b", options={"endpoint_url": "http://h"}, default=True)
    add_remote(project, "mine", "/srv/store", local=True, options={"profile": "me"})
    assert [r.to_dict() for r in list_remotes(project)] == [
        {
            "name": "mine",
            "url": "/srv/store",
            "location": "/srv/store",
            "options": {"profile": "me"},
            "default": False,
            "file": "config.local.toml",
        },
        {
            "name": "origin",
            "url": "s3://b",
            "location": "s3://b",
            "options": {"endpoint_url": "http://h"},
            "default": True,
            "file": "config.toml",
        },
    ]


def test_list_masks_credentials_of_the_local_config(project: Project) -> None:
    add_remote(project, "origin", "s3://b", local=True, options={"client_kwargs": {"token": "t"}})
    assert list_remotes(project)[0].options == {"client_kwargs": {"token": "***"}}


def test_remove_deletes_the_remote_and_its_default(project: Project) -> None:
    add_remote(project, "origin", "s3://bucket", default=True)
    assert remove_remote(project, "origin") == [".repro/config.toml"]
    config = load_config(project.repro_dir)
    assert config.remotes == {} and config.core.remote is None
    assert "remote" not in _committed(project)


def test_remove_keeps_the_other_remotes(project: Project) -> None:
    add_remote(project, "origin", "s3://bucket")
    add_remote(project, "backup", "/srv/backup")
    remove_remote(project, "origin")
    assert list(load_config(project.repro_dir).remotes) == ["backup"]


def test_remove_an_unknown_remote_fails(project: Project) -> None:
    add_remote(project, "origin", "s3://bucket")
    with pytest.raises(UnknownRemoteError, match=r"no remote named 'nope' .remotes: origin."):
        remove_remote(project, "nope")


def test_set_default_names_an_existing_remote(project: Project) -> None:
    add_remote(project, "origin", "s3://bucket")
    add_remote(project, "backup", "/srv/backup")
    assert set_default_remote(project, "backup") == "backup"
    assert get_remote(load_config(project.repro_dir)).name == "backup"


def test_set_default_to_an_unknown_remote_fails(project: Project) -> None:
    with pytest.raises(UnknownRemoteError, match=r"'nope'.*none is configured"):
        set_default_remote(project, "nope")


def test_unset_default_leaves_no_default_among_several(project: Project) -> None:
    add_remote(project, "origin", "s3://bucket", default=True)
    add_remote(project, "backup", "/srv/backup", local=True, default=True)
    assert set_default_remote(project, None) is None
    with pytest.raises(NoDefaultRemoteError, match="no default remote"):
        get_remote(load_config(project.repro_dir))


def test_s3_remotes_fail_fast_unless_the_user_says_otherwise() -> None:
    assert storage_options("s3://b", {})["config_kwargs"]["connect_timeout"] == 5
    mine = storage_options("s3://b", {"config_kwargs": {"connect_timeout": 60}})
    assert mine["config_kwargs"]["connect_timeout"] == 60
    assert storage_options("/srv/store", {}) == {}


def test_verify_refuses_a_missing_bucket_and_writes_nothing(
    project: Project, s3_server: S3Server
) -> None:
    before = _text(project)
    with pytest.raises(RemoteNotFoundError, match="bucket 'repro-no-such-bucket' does not exist"):
        add_remote(
            project,
            "origin",
            "s3://repro-no-such-bucket/store",
            options={"endpoint_url": s3_server.endpoint},
            verify=True,
        )
    assert _text(project) == before


def test_verify_accepts_a_bucket_that_answers(project: Project, s3_server: S3Server) -> None:
    bucket = s3_server.new_bucket()
    options = {"endpoint_url": s3_server.endpoint}
    add_remote(project, "origin", f"s3://{bucket}/store", options=options, verify=True)
    assert list(load_config(project.repro_dir).remotes) == ["origin"]
