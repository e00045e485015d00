"""``repro remote`` through the real command: add, list, remove, default,
and the one-line errors of bad input."""

from __future__ import annotations

from pathlib import Path

from cli_testing import Repro, one_line_error
from s3_testing import S3Server


def test_add_then_list_as_json(repro: Repro) -> None:
    added = repro(
        "remote", "add", "origin", "s3://bucket/store", "--default",
        "-o", "endpoint_url=http://localhost:9000", "-o", "client_kwargs.use_ssl=false",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert "added remote 'origin'" in added.out
    listed = repro("remote", "list", "--json")
    assert listed.json() == [
        {
            "name": "origin",
            "url": "s3://bucket/store",
            "location": "s3://bucket/store",
            "options": {
                "endpoint_url": "http://localhost:9000",
                "client_kwargs": {"use_ssl": False},
            },
            "default": True,
            "file": "config.toml",
        }
    ]


def test_list_marks_the_default(repro: Repro) -> None:
    repro("remote", "add", "origin", "s3://bucket/store")
    repro("remote", "add", "backup", "/srv/backup", "--local")
    assert repro("remote", "default", "origin").out == "default remote: origin\n"
    assert repro("remote", "list").out.splitlines() == [
        "  backup  /srv/backup  (config.local.toml)",
        "* origin  s3://bucket/store  (config.toml)",
    ]


def test_remove_then_list_is_empty(repro: Repro, git_repo: Path) -> None:
    repro("remote", "add", "origin", "s3://bucket/store", "--default")
    removed = repro("remote", "remove", "origin")
    assert removed.code == 0 and "removed remote 'origin'" in removed.out
    assert repro("remote", "list", "--json").json() == []
    assert "origin" not in (git_repo / ".repro" / "config.toml").read_text()


def test_default_without_a_name_shows_it(repro: Repro) -> None:
    repro("remote", "add", "origin", "s3://bucket/store", "--default")
    assert repro("remote", "default").out == "origin\n"
    assert repro("remote", "default", "--unset").out == "no default remote\n"


def test_a_password_in_the_url_is_refused(repro: Repro) -> None:
    line = one_line_error(repro("remote", "add", "origin", "s3://AKIAKEY:hunter2@bucket/store"))
    assert "holds a password" in line and "AWS_ACCESS_KEY_ID" in line
    assert "hunter2" not in line


def test_a_credential_option_is_refused(repro: Repro) -> None:
    line = one_line_error(repro("remote", "add", "origin", "s3://bucket", "-o", "secret=hunter2"))
    assert "remote.origin.secret: is a credential" in line and "hunter2" not in line


def test_a_hand_edited_secret_fails_every_command(repro: Repro, git_repo: Path) -> None:
    with (git_repo / ".repro" / "config.toml").open("a") as file:
        file.write('[remote.origin]\nurl = "s3://bucket"\naws_secret_access_key = "x"\n')
    line = one_line_error(repro("remote", "list"))
    assert "remote.origin.aws_secret_access_key: is a credential" in line


def test_remove_an_unknown_remote(repro: Repro) -> None:
    line = one_line_error(repro("remote", "remove", "nope"))
    assert "no remote named 'nope'" in line and "repro remote add" in line


def test_an_option_without_a_value_is_a_usage_error(repro: Repro) -> None:
    result = repro("remote", "add", "origin", "s3://bucket", "-o", "endpoint_url")
    assert result.code == 2
    assert "expected KEY=VALUE" in one_line_error(result)


def test_verify_reports_a_missing_bucket(repro: Repro, s3_server: S3Server) -> None:
    result = repro(
        "remote", "add", "origin", "s3://repro-no-such-bucket/store", "--verify",
        "-o", f"endpoint_url={s3_server.endpoint}",
    )  # fmt: skip
    assert "bucket 'repro-no-such-bucket' does not exist" in one_line_error(result)
    assert repro("remote", "list", "--json").json() == []
