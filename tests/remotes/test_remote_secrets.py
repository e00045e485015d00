"""Credentials never reach the committed config: passwords in URLs and
credential options are found, and refused when the config is loaded."""

from __future__ import annotations

import pytest

from repro.config import (
    ConfigError,
    CredentialInConfigError,
    credential_options,
    load_config,
    redact_remote_url,
    url_secret,
)
from repro.project import Project


@pytest.mark.parametrize(
    "url",
    [
        "s3://AKIAKEY:secret@bucket/store",
        "s3://AKIAKEY:se/cr+et@bucket/store",  # AWS secrets hold slashes
        "ssh://user:pw@host:22/srv/store",
        "https://u:p@h/",
        "simplecache::s3://k:s@bucket/store",
        "https://acct.blob.core.windows.net/c?sv=2022&sig=abc",
    ],
)
def test_a_url_with_a_secret_is_found(url: str) -> None:
    assert url_secret(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "s3://bucket/store",
        "ssh://user@host/srv/store",
        "https://host:8080/data@v2",
        "s3://bucket/data@v2/x",
        "../shared/store",
    ],
)
def test_a_url_without_a_secret_passes(url: str) -> None:
    assert url_secret(url) is None


def test_a_printed_url_masks_the_password_and_keeps_the_user() -> None:
    assert redact_remote_url("ssh://me:pw/x@host/p") == "ssh://me:***@host/p"
    assert redact_remote_url("https://h/p?sig=abc&x=1") == "https://h/p?sig=***&x=1"


def test_credential_options_are_found_at_any_depth() -> None:
    options = {
        "key": "AKIA",
        "endpoint_url": "http://localhost:9000",
        "client_kwargs": {"aws_secret_access_key": "s", "region_name": "eu"},
        "account_key": "a",
        "connection_string": "c",
        "sas_token": "t",
        "key_filename": "~/.ssh/id_ed25519",
        "sse_kms_key_id": "kms",
        "token": "anon",
    }
    assert credential_options(options) == [
        "key",
        "client_kwargs.aws_secret_access_key",
        "account_key",
        "connection_string",
        "sas_token",
    ]


def test_a_hand_edited_password_in_the_committed_config_fails_to_load(project: Project) -> None:
    with open(f"{project.repro_dir}/config.toml", "a") as file:
        file.write('[remote.origin]\nurl = "s3://AKIAKEY:hunter2@bucket"\n')
    with pytest.raises(ConfigError, match=r"remote\.origin\.url: the URL holds a password.*AWS_"):
        load_config(project.repro_dir)


def test_the_error_never_repeats_the_secret(project: Project) -> None:
    with open(f"{project.repro_dir}/config.toml", "a") as file:
        file.write('[remote.origin]\nurl = "s3://bucket"\nsecret = "hunter2"\n')
    with pytest.raises(CredentialInConfigError, match=r"remote\.origin\.secret") as caught:
        load_config(project.repro_dir)
    assert "hunter2" not in str(caught.value)


def test_the_local_config_may_hold_credentials(project: Project) -> None:
    with open(f"{project.repro_dir}/config.local.toml", "w") as file:
        file.write('[remote.origin]\nurl = "s3://k:s@bucket"\nsecret = "s"\n')
    assert load_config(project.repro_dir).remotes["origin"].options == {"secret": "s"}
