"""Secrets never enter a record: URL userinfo, secret-named params and
credential-looking values are masked; everything else is left as it was."""

from __future__ import annotations

from typing import Any

import pytest

from repro.lineage.redact import REDACTED, redact_params, redact_url, redact_value

AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@example.com/data.csv", "https://example.com/data.csv"),
        ("s3://AKID:secret@bucket/path/rows.csv", "s3://bucket/path/rows.csv"),
        (
            "postgresql://admin:hunter2@db:5432/prod?sslmode=require",
            "postgresql://db:5432/prod?sslmode=require",
        ),
        ("https://token@github.com/acme/repo.git", "https://github.com/acme/repo.git"),
        ("https://u:p@host/p#frag", "https://host/p#frag"),
    ],
)
def test_url_userinfo_is_stripped(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "python load.py --db postgresql://admin:pw@db/prod",
            "python load.py --db postgresql://db/prod",
        ),
        ("curl -o x https://u:p@h1/a https://v:q@h2/b", "curl -o x https://h1/a https://h2/b"),
        ("https://h/login?next=https://u:p@h2/x", "https://h/login?next=https://h2/x"),
    ],
)
def test_userinfo_of_urls_inside_text_is_stripped(text: str, expected: str) -> None:
    assert redact_value("command", text) == expected


def test_password_holding_an_at_sign_is_stripped_whole() -> None:
    assert redact_url("https://user:p@ss@example.com/x?a=b@c") == "https://example.com/x?a=b@c"


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/data.csv",
        "file:///data/with@sign/rows.csv",
        "s3://bucket/user@example.com/rows.csv",
        "s3://bucket/path/rows.csv",
        "https://example.com/users/@me",
        "mailto-like user@example.com",
        "data/rows.csv",
        "",
    ],
)
def test_text_without_userinfo_is_unchanged(text: str) -> None:
    assert redact_url(text) == text


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "api_key",
        "AWS_SECRET_ACCESS_KEY",
        "token",
        "db_passwd",
        "apiKey",
        "client_secret",
    ],
)
def test_params_named_like_secrets_are_masked(name: str) -> None:
    assert redact_params({name: "value", "epochs": 3}) == {name: REDACTED, "epochs": 3}


@pytest.mark.parametrize(
    "value",
    [
        AWS_KEY_ID,
        f"key={AWS_KEY_ID}",
        PRIVATE_KEY,
        GITHUB_TOKEN,
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
    ],
)
def test_values_that_look_like_credentials_are_masked(value: str) -> None:
    assert redact_value("note", value) == REDACTED


def test_nested_dicts_and_lists_are_redacted() -> None:
    params: dict[str, Any] = {
        "source": {
            "url": "https://user:pw@example.com/rows.csv",
            "password": "hunter2",
            "retries": 3,
        },
        "mirrors": ["https://a:b@m1.example.com/x", "https://m2.example.com/x", [AWS_KEY_ID]],
        "layers": [64, 32],
    }
    assert redact_params(params) == {
        "source": {"url": "https://example.com/rows.csv", "password": REDACTED, "retries": 3},
        "mirrors": ["https://m1.example.com/x", "https://m2.example.com/x", [REDACTED]],
        "layers": [64, 32],
    }


def test_a_secret_named_container_is_masked_whole() -> None:
    assert redact_params({"credentials": {"user": "me", "key": "k"}}) == {"credentials": REDACTED}


def test_ordinary_values_are_untouched() -> None:
    params: dict[str, Any] = {
        "epochs": 20,
        "rate": 0.05,
        "shuffle": True,
        "seed": None,
        "data": "data/rows.csv",
        "model_name": "bert-base-uncased",
        "layers": [64, 32],
        "optimizer": {"name": "adam", "betas": [0.9, 0.999]},
        "checksum": "9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a",
    }
    assert redact_params(params) == params


def test_redaction_does_not_change_its_input() -> None:
    params: dict[str, Any] = {"source": {"password": "hunter2"}, "urls": ["https://u:p@h/x"]}
    redact_params(params)
    assert params == {"source": {"password": "hunter2"}, "urls": ["https://u:p@h/x"]}


@pytest.mark.parametrize("name", ["max_tokens", "tokenizer", "author", "n_estimators", "keys"])
def test_names_that_merely_contain_a_secret_word_stay_visible(name: str) -> None:
    assert redact_params({name: 5}) == {name: 5}


@pytest.mark.parametrize("name", ["dbPassword", "apiKey", "client_secret", "ACCESS_KEY_ID"])
def test_camel_and_upper_case_secret_names_are_masked(name: str) -> None:
    assert redact_params({name: "x"}) == {name: REDACTED}
