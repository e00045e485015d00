"""Reading YAML that someone else wrote (a lock from a pull request,
``models.yaml``, a params file) without letting a small file cost unbounded
time or memory.

Anchors and aliases are refused outright: nine nested levels of
``&a [*a, *a, …]`` fit in a kilobyte and expand to billions of nodes for
whoever walks the result (validation, hashing, dumping). repro never writes
them, and no repro file needs them. Size and nesting are bounded too.
"""

from __future__ import annotations

from typing import Any, Final

from repro.errors import ReproError

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "FileTooLargeError",
    "YamlRefusedError",
    "load_yaml",
    "read_limited",
    "yaml_loader",
]

MAX_YAML_BYTES: Final = 256 * 1024 * 1024
MAX_YAML_DEPTH: Final = 200


class YamlRefusedError(ReproError, ValueError):
    """A YAML file repro will not read, whatever it would have meant."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {reason}")


class FileTooLargeError(ReproError):
    def __init__(self, path: str, limit: int) -> None:
        self.path = path
        self.limit = limit
        super().__init__(f"{path}: larger than {limit // 2**20} MiB; not read (fix the file)")


def read_limited(path: str, limit: int = MAX_YAML_BYTES) -> bytes:
    """A committed file's bytes, never more than ``limit``: Git can commit a
    symlink to /dev/zero in its place."""
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(path, limit)
    return data


def yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str, source: str) -> Any:
    """The document in ``text``, parsed safely (no tags beyond YAML's own).
    Syntax errors are raised as PyYAML's; the limits as
    :class:`YamlRefusedError` naming ``source``."""
    import yaml

    if len(text) > MAX_YAML_BYTES:
        raise YamlRefusedError(source, None, f"larger than {MAX_YAML_BYTES // 2**20} MiB")
    # No anchor or alias without one of these; libyaml itself refuses
    # nesting deeper than 1000. The events cost about a second parse.
    if "&" in text or "*" in text:
        _check_events(text, source)
    try:
        return yaml.load(text, Loader=yaml_loader())
    except RecursionError:
        raise YamlRefusedError(source, None, f"nested deeper than {MAX_YAML_DEPTH}") from None


def _check_events(text: str, source: str) -> None:
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=yaml_loader()):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlRefusedError(
                source, line, "YAML anchors and aliases are not allowed (fix the file)"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise YamlRefusedError(source, line, f"nested deeper than {MAX_YAML_DEPTH}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
