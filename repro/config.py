"""Project configuration: ``.repro/config.toml`` (committed) overlaid by
``.repro/config.local.toml`` (this machine only: a shared cache folder, say).

Plain frozen dataclasses with explicit checks rather than pydantic: the
config is read on every command, and ``repro status`` must start about as
fast as ``git status``.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from repro.errors import ReproError
from repro.hashing import UnknownAlgorithmError, get_algorithm
from repro.safeyaml import FileTooLargeError, read_limited

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

__all__ = [
    "CONFIG_FILE",
    "LOCAL_CONFIG_FILE",
    "CacheConfig",
    "Config",
    "ConfigError",
    "CoreConfig",
    "CredentialInConfigError",
    "MaterializeConfig",
    "RemoteConfig",
    "RunConfig",
    "check_committable",
    "credential_hint",
    "credential_options",
    "edit_config",
    "is_credential_name",
    "is_local_url",
    "load_config",
    "redact_remote_url",
    "url_protocol",
    "url_secret",
]

CONFIG_FILE = "config.toml"
LOCAL_CONFIG_FILE = "config.local.toml"
# The order a checkout tries them in; repro.snapshot.checkout takes it from here.
LINK_TYPES = ("reflink", "hardlink", "copy")


class ConfigError(ReproError):
    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        super().__init__(f"{file}: {key}: {reason}")


@dataclass(frozen=True)
class CoreConfig:
    hash: str = "xxh3-128"
    jobs: int | None = None
    remote: str | None = None  # the default remote's name


class CredentialInConfigError(ConfigError):
    """A password or credential in the committed config, which travels with
    every clone of the repository."""

    def __init__(self, file: str, key: str, what: str, protocol: str) -> None:
        self.what = what
        self.protocol = protocol
        super().__init__(
            file,
            key,
            f"{what}, and {CONFIG_FILE} is committed: remove it and let fsspec take "
            f"credentials from {credential_hint(protocol)} (or keep it in {LOCAL_CONFIG_FILE}, "
            "which is not committed: 'repro remote add --local')",
        )


@dataclass(frozen=True)
class RemoteConfig:
    """A remote store: its URL and fsspec storage options (an S3 endpoint, a
    region). Credentials never live in the committed file: fsspec reads them
    from the environment or its own configuration.

    ``url`` is as written. A plain path that is relative is relative to the
    project root (the folder holding ``.repro/``), so that the committed
    config works in every clone; ``location`` is the URL to open."""

    name: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)
    file: str = ""  # the config file that defines it ("" when built in code)

    @property
    def location(self) -> str:
        if not self.file or not is_local_url(self.url):
            return self.url
        root = os.path.dirname(os.path.dirname(os.path.abspath(self.file)))
        return os.path.normpath(os.path.join(root, os.path.expanduser(self.url)))


@dataclass(frozen=True)
class CacheConfig:
    dir: str = ".repro/cache"
    type: tuple[str, ...] = LINK_TYPES
    pack_threshold: int = 1 << 20
    fsync: bool = True


@dataclass(frozen=True)
class MaterializeConfig:
    # Loading a pickle runs code: only a project that trusts its store opts in.
    allow_pickle: bool = False


UNDECLARED_MODES = ("warn", "error")


@dataclass(frozen=True)
class RunConfig:
    # A step that writes in the project outside its declared outs: said
    # ("warn") or the step fails ("error").
    undeclared: str = "warn"


@dataclass(frozen=True)
class Config:
    core: CoreConfig = field(default_factory=CoreConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    materialize: MaterializeConfig = field(default_factory=MaterializeConfig)
    remotes: dict[str, RemoteConfig] = field(default_factory=dict)
    run: RunConfig = field(default_factory=RunConfig)


def load_config(repro_dir: str) -> Config:
    config = Config()
    for name in (CONFIG_FILE, LOCAL_CONFIG_FILE):
        path = os.path.join(repro_dir, name)
        if os.path.exists(path):
            config = _apply(config, _read(path), path)
    return config


@contextmanager
def edit_config(path: str) -> Iterator[TOMLDocument]:
    """The config file at ``path`` as a tomlkit document to change in place:
    the user's comments and layout survive. On leaving the block the result
    is checked as ``load_config`` would (a committed file never receives a
    credential) and written atomically; an error in the block writes nothing."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from repro.atomic import write_atomic

    text = ""
    if os.path.exists(path):
        with open(path, "rb") as file:
            text = _text(path, file.read())
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(path, "(file)", f"not valid TOML: {exc}") from exc
    yield doc
    new = tomlkit.dumps(doc)
    if new != text:
        _apply(Config(), tomllib.loads(new), path)
        write_atomic(path, new.encode())


def _read(path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(path, read_limited(path, _MAX_CONFIG_BYTES)))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(file)", f"not valid TOML: {exc}") from exc
    except FileTooLargeError as exc:
        raise ConfigError(path, "(file)", "larger than 1 MiB") from exc
    except RecursionError as exc:
        raise ConfigError(path, "(file)", "nested too deeply") from exc
    except OSError as exc:
        raise ConfigError(path, "(file)", f"cannot be read ({exc.strerror or exc})") from exc


def _text(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            path, "(file)", f"not UTF-8 text (byte {data[exc.start]:#04x} on line {line})"
        ) from exc


def _apply(config: Config, doc: dict[str, Any], path: str) -> Config:
    unknown = set(doc) - {"core", "cache", "materialize", "remote", "run"}
    if unknown:
        raise ConfigError(path, sorted(unknown)[0], "unknown section")
    core = _section(config.core, doc.get("core", {}), path, "core")
    cache = _section(config.cache, doc.get("cache", {}), path, "cache")
    materialize = _section(config.materialize, doc.get("materialize", {}), path, "materialize")
    _check(core, cache, path)
    if not isinstance(materialize.allow_pickle, bool):
        raise ConfigError(path, "materialize.allow_pickle", "must be true or false")
    run = _section(config.run, doc.get("run", {}), path, "run")
    if run.undeclared not in UNDECLARED_MODES:
        raise ConfigError(path, "run.undeclared", 'must be "warn" or "error"')
    remotes = {**config.remotes, **_remotes(doc.get("remote", {}), path)}
    return Config(core, cache, materialize, remotes, run)


def _remotes(tables: Any, path: str) -> dict[str, RemoteConfig]:
    if not isinstance(tables, dict):
        raise ConfigError(path, "remote", "must be a table of remotes")
    found = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(path, f"remote.{name}", "must be a table")
        url = table.get("url")
        if not isinstance(url, str) or not url:
            raise ConfigError(path, f"remote.{name}.url", "must be the remote's URL")
        options = {key: value for key, value in table.items() if key != "url"}
        remote = RemoteConfig(name, url, options, path)
        if os.path.basename(path) == CONFIG_FILE:
            check_committable(remote)
        found[name] = remote
    return found


def check_committable(remote: RemoteConfig) -> None:
    """Raise ``CredentialInConfigError`` if ``remote`` holds a credential
    (a password in its URL, a secret option), which must never be committed."""
    protocol = url_protocol(remote.url)
    what = url_secret(remote.url)
    if what is not None:
        raise CredentialInConfigError(remote.file, f"remote.{remote.name}.url", what, protocol)
    keys = credential_options(remote.options)
    if keys:
        where = f"remote.{remote.name}.{keys[0]}"
        raise CredentialInConfigError(remote.file, where, "is a credential", protocol)


# URLs and credentials: pure string checks, so that loading the config
# imports nothing (fsspec included).

_GCS_TOKEN_MODES = frozenset({"anon", "google_default", "cache", "cloud", "browser"})
_CREDENTIAL_WORDS = frozenset(
    {"secret", "password", "passwd", "passphrase", "token", "credential", "credentials"}
)
_CREDENTIAL_PAIRS = frozenset(
    {
        ("access", "key"),
        ("account", "key"),
        ("private", "key"),
        ("api", "key"),
        ("auth", "key"),
        ("connection", "string"),
    }
)
# Signed-URL query parameters (S3 presigned URLs, Azure SAS).
_SIGNED_QUERY = frozenset({"sig", "signature", "x_amz_signature", "x_amz_credential", "code"})
_HOST_PORT = re.compile(r"[^/:]+:\d+(/|$)")


def _words(name: str) -> list[str]:
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return [word for word in re.split(r"[^a-z0-9]+", snake) if word]


def is_credential_name(name: str) -> bool:
    """``key``, ``secret``, ``aws_secret_access_key``, ``sas_token``,
    ``account_key``, ``connection_string``…; not ``key_filename`` or
    ``sse_kms_key_id``, which name files and key ids, not secrets."""
    words = _words(name)
    if words == ["key"] or _CREDENTIAL_WORDS.intersection(words):
        return True
    return any(pair in _CREDENTIAL_PAIRS for pair in itertools.pairwise(words))


def credential_options(options: dict[str, Any], prefix: str = "") -> list[str]:
    """The (dotted) names of the credentials among storage ``options``,
    nested tables (``client_kwargs``) included."""
    found = []
    for key, value in options.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            found += credential_options(value, f"{name}.")
        elif is_credential_name(str(key)) and not _harmless(str(key), value):
            found.append(name)
    return found


def _harmless(key: str, value: Any) -> bool:
    # gcsfs's ``token`` also names a way to find credentials, not one.
    return value in (None, False) or (key == "token" and value in _GCS_TOKEN_MODES)


def is_local_url(url: str) -> bool:
    return "://" not in url and "::" not in url


def url_protocol(url: str) -> str:
    """The protocol of the store ``url`` names (the last of a chain such as
    ``simplecache::s3://…``); ``file`` for a plain path."""
    last = url.rsplit("::", 1)[-1]
    return last.split("://", 1)[0].lower() if "://" in last else "file"


def url_secret(url: str) -> str | None:
    """What secret ``url`` holds (a password, a signature), or None."""
    for part in url.split("::"):
        _scheme, sep, rest = part.partition("://")
        if sep and _userinfo(rest)[1]:
            return "the URL holds a password"
        if sep and any(_is_query_secret(name) for name, _value in _query(rest)):
            return "the URL holds a credential in its query"
    return None


def _query(rest: str) -> list[tuple[str, str]]:
    query = rest.partition("?")[2].partition("#")[0]
    return [(p.partition("=")[0], p.partition("=")[2]) for p in query.split("&") if p]


def _is_query_secret(name: str) -> bool:
    return "_".join(_words(name)) in _SIGNED_QUERY or is_credential_name(name)


def _userinfo(rest: str) -> tuple[str, str]:
    """``(user, password)`` of the text after ``scheme://``. Secrets may hold
    ``/``, so the userinfo runs to the last ``@`` when its user part has no
    ``/`` (``host:8080/a@b`` is a host, a port and a path)."""
    head, at, _tail = re.split(r"[?#]", rest, maxsplit=1)[0].rpartition("@")
    if not at or _HOST_PORT.match(head):
        return "", ""
    user, colon, password = head.partition(":")
    if "/" in user:
        return "", ""
    return user, password if colon else ""


def redact_remote_url(url: str) -> str:
    """``url`` fit to print: its password and query credentials masked."""
    parts = []
    for part in url.split("::"):
        scheme, sep, rest = part.partition("://")
        user, password = _userinfo(rest) if sep else ("", "")
        if password:
            rest = f"{user}:***@{rest.partition(f'{user}:{password}@')[2]}"
        for name, value in _query(rest) if sep else ():
            if value and _is_query_secret(name):
                rest = rest.replace(f"{name}={value}", f"{name}=***")
        parts.append(f"{scheme}{sep}{rest}")
    return "::".join(parts)


_CREDENTIAL_HINTS = {
    "s3": "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
    "gs": "GOOGLE_APPLICATION_CREDENTIALS",
    "az": "AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME and "
    "AZURE_STORAGE_ACCOUNT_KEY",
    "ssh": "an SSH agent or ~/.ssh/config",
}
_HINT_ALIASES = {"s3a": "s3", "gcs": "gs", "abfs": "az", "abfss": "az", "adl": "az", "sftp": "ssh"}


def credential_hint(protocol: str) -> str:
    """Where credentials for ``protocol`` come from instead of a config file."""
    hint = _CREDENTIAL_HINTS.get(_HINT_ALIASES.get(protocol, protocol))
    if hint:
        return f"the environment ({hint}) or fsspec's configuration"
    variables = f"FSSPEC_{protocol.upper()}_<OPTION>"
    return f"fsspec's configuration ({variables} variables or ~/.config/fsspec/)"


def _section(current: Any, values: Any, path: str, name: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(path, name, "must be a table")
    known = current.__dataclass_fields__
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(path, f"{name}.{key}", "unknown setting")
        changes[key] = tuple(value) if isinstance(value, list) else value
    return replace(current, **changes)


# Linux's PATH_MAX; and a deeper path than this defeats os.makedirs
# (one recursion per missing folder) long before the file system objects.
_PATH_MAX = 4096
_MAX_CONFIG_BYTES = 2**20
_MAX_DEPTH = 256


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(core: CoreConfig, cache: CacheConfig, path: str) -> None:
    if not isinstance(core.hash, str):
        raise ConfigError(path, "core.hash", "must be the name of a hash algorithm")
    try:
        get_algorithm(core.hash)
    except UnknownAlgorithmError as exc:
        raise ConfigError(path, "core.hash", str(exc)) from exc
    if core.remote is not None and not isinstance(core.remote, str):
        raise ConfigError(path, "core.remote", "must be the name of a remote")
    if core.jobs is not None and (not _whole(core.jobs) or core.jobs < 1):
        raise ConfigError(path, "core.jobs", "must be a whole number of at least 1")
    if not isinstance(cache.dir, str) or not cache.dir or "\x00" in cache.dir:
        raise ConfigError(path, "cache.dir", "must be a folder path")
    if len(cache.dir.encode()) > _PATH_MAX or cache.dir.count("/") > _MAX_DEPTH:
        raise ConfigError(path, "cache.dir", "is too long or too deep to be a folder path")
    types = cache.type
    if not isinstance(types, tuple) or not types or any(t not in LINK_TYPES for t in types):
        raise ConfigError(path, "cache.type", f"must be a list of some of {', '.join(LINK_TYPES)}")
    if not _whole(cache.pack_threshold) or cache.pack_threshold < 0:
        raise ConfigError(path, "cache.pack_threshold", "must be a size in bytes")
    if not isinstance(cache.fsync, bool):
        raise ConfigError(path, "cache.fsync", "must be true or false")
