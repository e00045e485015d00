"""Parameter values given on the command line (``-p KEY=VALUE``)."""

from __future__ import annotations

from typing import Any

__all__ = ["parse_param_value"]


def parse_param_value(text: str) -> Any:
    """A ``-p`` value as YAML would read it: ``200`` is a number, ``true`` a
    boolean, ``[1, 2]`` a list, anything else a string."""
    import yaml

    from repro.safeyaml import YamlRefusedError, load_yaml

    try:
        return load_yaml(text, "-p") if text.strip() else ""
    except (yaml.YAMLError, YamlRefusedError):
        return text
