"""Fuzzing ``repro.lock`` as a pull request can commit it: the real lock
with hostile names and paths in every field (pipeline, run, step and
output names, code files, imports, discovered files, dataset uris, models,
skipped steps, merge conflicts; a commit that looks like a Git option; a
record id pinning a crafted record on the remote), and raw text (an alias
bomb, anchors, deep nesting, Python tags, non-UTF-8, NUL, 8 MiB values,
200,000 keys, random bytes) or a symlink to /dev/zero in its place; fed
to status, check lock/lineage/all, gc, pull, fetch, runs list, run
--frozen and models list. See fuzz_harness for the properties.
"""

from __future__ import annotations

import pytest
import yaml
from fuzz_attacks import RAW_YAML, Store, lock_mutations, mutate_lock, plant, raw_yaml, yaml_text
from fuzz_harness import attack, fuzz_settings
from fuzz_project import Template
from hypothesis import given
from hypothesis import strategies as st
from repro_testing import git

COMMANDS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "check lock": ("check", "lock"),
    "check lineage": ("check", "lineage"),
    "check all": ("check", "all"),
    "gc --dry-run": ("gc", "--dry-run", "--grace", "0"),
    "gc --all-commits --dry-run": ("gc", "--all-commits", "--dry-run", "--grace", "0"),
    "pull": ("pull",),
    "fetch": ("fetch",),
    "runs list": ("runs", "list"),
    "run --frozen": ("run", "--frozen"),
    "models list": ("models", "list"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@fuzz_settings(2)
@given(
    raw=st.one_of(st.none(), st.none(), st.sampled_from(RAW_YAML)),
    mutated=lock_mutations(),
    unicode=st.booleans(),
    noise=st.binary(max_size=300),
    commit=st.booleans(),
)
def test_hostile_lock(
    template: Template,
    command: str,
    raw: str | None,
    mutated: list,
    unicode: bool,
    noise: bytes,
    commit: bool,
) -> None:
    with attack(template, "lock") as case:
        lock = case.project / "repro.lock"
        if raw is None:
            doc = yaml.safe_load(template.lock)
            mutate_lock(Store(case, case.store), doc, mutated)
            lock.write_bytes(yaml_text(doc, unicode))
        else:
            text = raw_yaml(case, raw, template.lock, noise)
            case.note(f"repro.lock replaced: {raw}")
            if text is None:
                plant(lock, raw, case)
            else:
                lock.write_bytes(text)
        if commit:  # as merged from a pull request
            git(case.project, "add", "repro.lock")
            git(case.project, "commit", "-q", "--no-verify", "-m", "a pull request")
        case.freeze()
        case.repro(*COMMANDS[command])
