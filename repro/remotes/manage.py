"""``repro remote add|remove|default|list``: editing the remotes in the
config files with tomlkit, so that users' comments and layout survive."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from repro.config import (
    CONFIG_FILE,
    LOCAL_CONFIG_FILE,
    Config,
    RemoteConfig,
    check_committable,
    credential_options,
    edit_config,
    is_local_url,
    load_config,
    redact_remote_url,
    url_protocol,
)
from repro.remotes.errors import (
    InvalidRemoteNameError,
    InvalidRemoteUrlError,
    RemoteExistsError,
    UnknownRemoteError,
)
from repro.remotes.failures import check_remote
from repro.remotes.remote import get_remote

if TYPE_CHECKING:
    from tomlkit import TOMLDocument
    from tomlkit.container import Container

    from repro.project import Project

__all__ = ["RemoteInfo", "add_remote", "list_remotes", "remove_remote", "set_default_remote"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

# -- editing the configuration ----------------------------------------------


@dataclass(frozen=True)
class RemoteInfo:
    """A configured remote as ``repro remote list`` shows it: URL and
    options with any credential (possible in the local file) masked."""

    name: str
    url: str  # as written in the file
    location: str  # what is opened: a relative path resolved
    options: dict[str, Any]
    default: bool
    file: str  # config.toml or config.local.toml

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "location": self.location,
            "options": self.options,
            "default": self.default,
            "file": self.file,
        }


def list_remotes(project: Project) -> list[RemoteInfo]:
    config = load_config(project.repro_dir)
    return [
        RemoteInfo(
            name,
            redact_remote_url(remote.url),
            redact_remote_url(remote.location),
            _masked(remote.options),
            name == config.core.remote,
            os.path.basename(remote.file),
        )
        for name, remote in sorted(config.remotes.items())
    ]


def _masked(options: dict[str, Any]) -> dict[str, Any]:
    return {key: _masked_value(key, value) for key, value in options.items()}


def _masked_value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return _masked(value)
    return "***" if credential_options({key: value}) else value


def add_remote(
    project: Project,
    name: str,
    url: str,
    *,
    default: bool = False,
    local: bool = False,
    options: Mapping[str, Any] | None = None,
    force: bool = False,
    verify: bool = False,
) -> RemoteConfig:
    """Add (or with ``force`` replace) the remote ``name`` in the committed
    config, or with ``local`` in this machine's. ``options`` are fsspec
    storage options; a relative folder is taken from the current folder and
    stored relative to the project root. Credentials are refused in the
    committed file; ``verify`` probes the remote before anything is written."""
    if not _NAME.fullmatch(name):
        raise InvalidRemoteNameError(name)
    path = _config_path(project, local)
    remote = RemoteConfig(name, _stored_url(url, project.root), dict(options or {}), path)
    if not local:
        check_committable(remote)
    _check_url(remote.url)
    if verify:
        algorithm = load_config(project.repro_dir).core.hash
        check_remote(get_remote(Config(remotes={name: remote}), name), algorithm)
    with edit_config(path) as doc:
        tables = _remote_tables(doc)
        if name in tables and not force:
            raise RemoteExistsError(name, str(tables[name].get("url", "")), _shown(path))
        tables[name] = _remote_table(remote)
        if default:
            _core_table(doc)["remote"] = name
    return remote


def remove_remote(project: Project, name: str) -> list[str]:
    """Remove ``name`` from every config file that defines it, and make it no
    longer the default; returns the files changed."""
    config = load_config(project.repro_dir)
    if name not in config.remotes:
        raise UnknownRemoteError(name, sorted(config.remotes))
    changed = []
    for path in _existing_config_files(project):
        with edit_config(path) as doc:
            removed = _remove_table(doc, name)
            unset = _unset_default(doc, name)
        if removed or unset:
            changed.append(_shown(path))
    return changed


def set_default_remote(project: Project, name: str | None, *, local: bool = False) -> str | None:
    """Make ``name`` the default remote (in the committed config, or with
    ``local`` in this machine's); None unsets it in both files. Returns the
    default now in effect (a local setting wins over the committed one)."""
    config = load_config(project.repro_dir)
    if name is None:
        for path in _existing_config_files(project):
            with edit_config(path) as doc:
                _unset_default(doc, None)
    else:
        if name not in config.remotes:
            raise UnknownRemoteError(name, sorted(config.remotes))
        with edit_config(_config_path(project, local)) as doc:
            _core_table(doc)["remote"] = name
    return load_config(project.repro_dir).core.remote


def _config_path(project: Project, local: bool) -> str:
    return os.path.join(project.repro_dir, LOCAL_CONFIG_FILE if local else CONFIG_FILE)


def _existing_config_files(project: Project) -> list[str]:
    paths = [_config_path(project, local) for local in (False, True)]
    return [path for path in paths if os.path.exists(path)]


def _shown(path: str) -> str:
    return os.path.join(".repro", os.path.basename(path))


def _stored_url(url: str, root: str) -> str:
    url = url.strip()
    if not url:
        raise InvalidRemoteUrlError(url, "give a URL (s3://bucket/prefix, …) or a folder")
    if not is_local_url(url) or url.startswith("~") or os.path.isabs(url):
        return url
    return os.path.relpath(os.path.abspath(url), root)


def _check_url(url: str) -> None:
    """Every protocol of ``url`` is one fsspec knows and can import."""
    if is_local_url(url):
        return
    from fsspec.registry import known_implementations, registry

    *chained, last = url.split("::")
    for protocol in [*chained, url_protocol(last)]:
        if protocol in registry:
            continue
        if protocol not in known_implementations:
            raise InvalidRemoteUrlError(url, f"unknown protocol {protocol!r}")
        _check_importable(url, protocol, known_implementations[protocol])


def _check_importable(url: str, protocol: str, known: Mapping[str, str]) -> None:
    """A third-party filesystem is looked up, not imported (s3fs alone takes
    half a second); fsspec's own are imported to find their dependencies."""
    import importlib.util

    from fsspec.registry import get_filesystem_class

    from repro.store.fs import MissingFilesystemError

    package = known["class"].partition(".")[0]
    shown = redact_remote_url(url)
    if package != "fsspec":
        if importlib.util.find_spec(package) is None:
            detail = known.get("err") or f"{package} is not installed"
            raise MissingFilesystemError(shown, f"{detail} (pip install {package})")
        return
    try:
        get_filesystem_class(protocol)
    except ImportError as exc:
        raise MissingFilesystemError(shown, str(exc)) from exc


def _remote_tables(doc: TOMLDocument) -> Any:
    import tomlkit

    if "remote" not in doc:
        doc.add("remote", tomlkit.table(is_super_table=True))
    return doc["remote"]


def _remove_table(doc: TOMLDocument, name: str) -> bool:
    tables: Any = doc.get("remote")
    if tables is None or name not in tables:
        return False
    del tables[name]
    if not tables:
        del doc["remote"]
    return True


def _remote_table(remote: RemoteConfig) -> Any:
    import tomlkit

    table = tomlkit.table()
    table.add("url", remote.url)
    for key, value in remote.options.items():
        table.add(key, _inline(value) if isinstance(value, dict) else value)
    return table


def _inline(value: dict[str, Any]) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    table.update({k: _inline(v) if isinstance(v, dict) else v for k, v in value.items()})
    return table


def _core_table(doc: TOMLDocument) -> Container:
    import tomlkit

    if "core" not in doc:
        doc.add("core", tomlkit.table())
    core: Container = doc["core"]
    return core


def _unset_default(doc: TOMLDocument, name: str | None) -> bool:
    """Remove ``core.remote`` where it names ``name`` (any name for None)."""
    core = doc.get("core")
    if core is None or "remote" not in core or name not in (None, core["remote"]):
        return False
    del core["remote"]
    return True
