"""Fuzzing the files a pull request (or a user's hand edit) can change
besides the lock: ``.repro/config.toml`` and ``config.local.toml`` (hostile
values of every setting, wrong types, unknown keys, random bytes,
non-UTF-8, deep nesting, a symlink to /dev/zero or a folder in their
place) and ``models.yaml`` (hostile model and alias names, versions, runs,
raw YAML attacks). Fed to the commands that read them. A cache folder the
config names is the config's choice: writes there are allowed. See
fuzz_harness for the properties.
"""

from __future__ import annotations

import pytest
import yaml
from fuzz_attacks import (
    RAW_TOML,
    RAW_YAML,
    config_mutations,
    hostile_names,
    models_mutations,
    mutate_config,
    mutate_models,
    plant,
    raw_toml,
    raw_yaml,
    yaml_text,
)
from fuzz_harness import attack, fuzz_settings
from fuzz_project import Template
from hypothesis import given
from hypothesis import strategies as st

CONFIG_COMMANDS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "fsck": ("fsck",),
    "runs list": ("runs", "list"),
    "gc --dry-run": ("gc", "--dry-run", "--grace", "0"),
    "pull": ("pull",),
    "check lock": ("check", "lock"),
    "check all": ("check", "all"),
    "snapshot": ("snapshot", "data/extra"),
    "remote list": ("remote", "list"),
    "models list": ("models", "list"),
    "runs show": ("runs", "show", "--", "{REAL}"),
}


@pytest.mark.parametrize("command", sorted(CONFIG_COMMANDS))
@fuzz_settings(2)
@given(
    local=st.booleans(),
    raw=st.one_of(st.none(), st.none(), st.sampled_from(RAW_TOML)),
    mutated=config_mutations(),
    noise=st.binary(max_size=300),
)
def test_hostile_config(
    template: Template, command: str, local: bool, raw: str | None, mutated: list, noise: bytes
) -> None:
    with attack(template, "config") as case:
        name = "config.local.toml" if local else "config.toml"
        path = case.project / ".repro" / name
        if raw is None:
            base = "" if local else template.config
            path.write_bytes(mutate_config(case, base, mutated))
        else:
            case.note(f".repro/{name} replaced: {raw}")
            text = raw_toml(raw, template.config, noise)
            if text is None:
                plant(path, raw, case)
            else:
                path.write_bytes(text)
        case.freeze()
        args = [a.replace("{REAL}", template.run) for a in CONFIG_COMMANDS[command]]
        case.repro(*args)


MODELS_COMMANDS: dict[str, tuple[str, ...]] = {
    "models list": ("models", "list"),
    "models list --json": ("models", "list", "--json"),
    "models show": ("models", "show", "--", "tiny@production"),
    "models show hostile": ("models", "show", "--", "{NAME}"),
    "models get": ("models", "get", "-o", "outputs/model", "--", "tiny@production"),
    "gc --dry-run": ("gc", "--dry-run", "--grace", "0"),
    "gc --all-commits --dry-run": ("gc", "--all-commits", "--dry-run", "--grace", "0"),
    "runs show": ("runs", "show", "--", "{REAL}"),
}


@pytest.mark.parametrize("command", sorted(MODELS_COMMANDS))
@fuzz_settings(2)
@given(
    raw=st.one_of(st.none(), st.none(), st.sampled_from(RAW_YAML)),
    mutated=models_mutations(),
    name=hostile_names(),
    unicode=st.booleans(),
    noise=st.binary(max_size=300),
)
def test_hostile_models_file(
    template: Template,
    command: str,
    raw: str | None,
    mutated: list,
    name: str,
    unicode: bool,
    noise: bytes,
) -> None:
    with attack(template, "models.yaml") as case:
        path = case.project / "models.yaml"
        if raw is None:
            doc = yaml.safe_load(template.models)
            mutate_models(case, doc, mutated)
            path.write_bytes(yaml_text(doc, unicode))
        else:
            case.note(f"models.yaml replaced: {raw}")
            text = raw_yaml(case, raw, template.models, noise)
            if text is None:
                plant(path, raw, case)
            else:
                path.write_bytes(text)
        case.freeze()
        args = [
            a.replace("{REAL}", template.run).replace("{NAME}", case.fill(name))
            for a in MODELS_COMMANDS[command]
        ]
        case.repro(*args)
