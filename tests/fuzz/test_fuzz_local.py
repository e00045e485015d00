"""Fuzzing the local run index, as bad luck (a truncated write, a stray
file) or someone with the machine leaves it: records in ``.repro/runs/``
that were never validated (hostile names and paths in every field, random
bytes, truncated, deeply nested, huge), with their objects in the local
cache, and journals and specs of killed runs. Fed to every command that
reads the index: runs list/show/compare, report, checkout, replay, gc,
status, metrics, models. See fuzz_harness for the properties.
"""

from __future__ import annotations

import pytest
from fuzz_attacks import FORMS, any_mutations, hostile_names, plant_journal, plant_record
from fuzz_harness import attack, fuzz_settings
from fuzz_project import Template
from hypothesis import given
from hypothesis import strategies as st

COMMANDS: dict[str, tuple[str, ...]] = {
    "runs list": ("runs", "list"),
    "runs list --json": ("runs", "list", "--json"),
    "runs list interrupted": ("runs", "list", "--status", "interrupted"),
    "runs show": ("runs", "show", "--", "{RUN}"),
    "runs compare": ("runs", "compare", "--", "{REAL}", "{RUN}"),
    "runs diff": ("runs", "diff", "--", "{REAL}", "{RUN}"),
    "report": ("report", "--", "{RUN}"),
    "checkout": ("checkout", "--", "{RUN}"),
    "replay": ("replay", "--", "{RUN}"),
    "gc --dry-run": ("gc", "--dry-run", "--grace", "0"),
    "gc": ("gc", "--grace", "0"),
    "status": ("status",),
    "metrics show": ("metrics", "show", "--", "{RUN}"),
    "models list": ("models", "list"),
    "push": ("push", "--", "{RUN}"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@fuzz_settings(2)
@given(
    form=st.sampled_from(FORMS),
    mutated=any_mutations(),
    noise=st.binary(max_size=300),
    cut=st.integers(0, 10_000),
    name=st.one_of(st.just(""), st.just(""), st.sampled_from(["x", "..json", " ", "01m99", "-h"])),
    journal=st.one_of(
        st.none(), st.tuples(st.sampled_from(["steps", "random", "deep"]), hostile_names())
    ),
)
def test_local_index(
    template: Template,
    command: str,
    form: str,
    mutated: list,
    noise: bytes,
    cut: int,
    name: str,
    journal: tuple[str, str] | None,
) -> None:
    with attack(template, "local index") as case:
        run = plant_record(case, form, mutated, noise, cut, name)
        if journal is not None:
            plant_journal(case, journal[0], noise, case.fill(journal[1]))
        if command == "push":
            case.allowed.append(case.remote)  # what push is for
        case.freeze()
        args = [a.replace("{RUN}", run).replace("{REAL}", template.run) for a in COMMANDS[command]]
        case.repro(*args)
