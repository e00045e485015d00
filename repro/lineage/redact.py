"""Keeping secrets out of records and the lock: parameters named like
credentials are masked, values that look like one are masked, and URLs
lose their user and password. Records travel (remotes, Git); secrets must
come from the environment or fsspec's configuration at run time."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["REDACTED", "is_secret_name", "redact_params", "redact_url", "redact_value", "scrub"]

REDACTED = "***redacted***"

# Whole words of a name (snake, kebab or camel case), so that max_tokens,
# tokenizer or author stay visible while api_token or dbPassword do not.
_SECRET_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "password",
        "passwd",
        "pwd",
        "token",
        "credential",
        "credentials",
        "apikey",
        "passphrase",
    }
)
_SECRET_PAIRS = frozenset(
    {("api", "key"), ("access", "key"), ("private", "key"), ("auth", "key"), ("client", "secret")}
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SECRET_VALUE = re.compile(
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key ids
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|\b(?:ghp|gho|ghs|ghu|github_pat|glpat|xox[abp])[-_][A-Za-z0-9_]{16,}"
)


# The userinfo of every URL in the text, not only of a text that is one URL:
# a parameter such as "--db postgresql://user:pw@host/db" carries one too.
# Greedy up to the authority's last "@", since a password may hold an "@".
_USERINFO = re.compile(r"([a-z][a-z0-9+.-]*://)[^/?#\s]*@", re.IGNORECASE)


# Query parameters that carry credentials (presigned S3 URLs, Azure SAS).
_QUERY = re.compile(r"([?&])([^=&#\s]+)=([^&#\s]*)")
_QUERY_SECRETS = frozenset(
    {
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "key",
        "access_token",
        "code",
    }
)


def redact_url(text: str) -> str:
    """``scheme://user:password@host/path`` becomes ``scheme://host/path``,
    and credentials in a query string (``?X-Amz-Signature=…``) are masked."""
    return _QUERY.sub(_mask_query, _USERINFO.sub(r"\1", text))


def _mask_query(match: re.Match[str]) -> str:
    key = match.group(2)
    if key.lower() in _QUERY_SECRETS or is_secret_name(key):
        return f"{match.group(1)}{key}={REDACTED}"
    return match.group(0)


def is_secret_name(name: str) -> bool:
    words = [word.lower() for word in _WORD.findall(name)]
    if _SECRET_WORDS.intersection(words):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


def redact_value(name: str, value: Any) -> Any:
    if is_secret_name(name):
        return REDACTED
    if isinstance(value, str):
        return REDACTED if _SECRET_VALUE.search(value) else redact_url(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(name, v) for v in value]
    return value


def scrub(text: str | None, secrets: Iterable[str]) -> str | None:
    """``text`` (an error message, say) with every secret value masked and
    URLs without their password."""
    if text is None:
        return None
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # shorter values would mask ordinary words
            text = text.replace(secret, REDACTED)
    return redact_url(text)


def redact_params(params: dict[str, Any]) -> dict[str, Any]:
    return {name: redact_value(name, value) for name, value in params.items()}
