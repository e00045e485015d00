"""The fuzz suite's seeds: the attacks issue 19 reports and those the
fuzzer found, as fixed cases run on every CI run (the hypothesis tests
find new ones; these make sure the known ones stay fixed). Each one is a
crafted remote, lock, config or index, and the commands a victim would
run, held to the same properties (see fuzz_harness).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from fuzz_attacks import (
    Store,
    craft_record,
    dumps,
    mutate_lock,
    plant,
    publish,
    raw_toml,
    raw_yaml,
)
from fuzz_harness import Case, attack
from fuzz_project import Template
from test_fuzz_remote import damage, forget_local


@dataclass(frozen=True)
class Seed:
    plant: Callable[[Case], str]  # plants the attack; the run id a victim would name
    commands: tuple[tuple[str, ...], ...]  # {RUN}: that id
    fresh: bool = False  # the victim is a fresh clone


def remote_run(*mutated: tuple[str, Any]) -> Callable[[Case], str]:
    def plant_it(case: Case) -> str:
        store = Store(case, case.store)
        return publish(store, craft_record(store, list(mutated)))

    return plant_it


def lock_edit(*mutated: tuple[str, Any]) -> Callable[[Case], str]:
    def plant_it(case: Case) -> str:
        doc = yaml.safe_load(case.template.lock)
        mutate_lock(Store(case, case.store), doc, list(mutated))
        (case.project / "repro.lock").write_bytes(yaml.safe_dump(doc).encode())
        return case.template.run

    return plant_it


def replaced(name: str, kind: str) -> Callable[[Case], str]:
    """A committed file (repro.lock, models.yaml, .repro/config.toml)
    replaced by raw attack text, or by a symlink to /dev/zero."""

    def plant_it(case: Case) -> str:
        path = case.project / name
        valid = path.read_text()
        text = (
            raw_toml(kind, valid, b"")
            if name.endswith(".toml")
            else raw_yaml(case, kind, valid, b"")
        )
        case.note(f"{name} replaced: {kind}")
        if text is None:
            plant(path, kind, case)
        else:
            path.write_bytes(text)
        return case.template.run

    return plant_it


def damaged(kind: str, index: int = 0) -> Callable[[Case], str]:
    def plant_it(case: Case) -> str:
        damage(case, kind, b"\xff\xfe not utf-8", index)
        return case.template.run

    return plant_it


def deep_local_record(case: Case) -> str:
    run = "01m99zzzzzzzzz"
    data = b'{"id":"' + run.encode() + b'","x":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    (case.project / ".repro" / "runs" / f"{run}.json").write_bytes(data)
    case.note("a record nested 200,000 deep in .repro/runs")
    return run


def _tree(*entries: tuple[str, str, bool]) -> tuple[str, list[tuple[str, str, bool]], bytes]:
    return ("rows", list(entries), b"")


HOOK = _tree(("post-checkout", "hook", True))
MODULE = _tree(("scale.py", "python", False), ("__init__.py", "python", False))
PACKAGE = _tree(("__main__.py", "python", False), ("__init__.py", "python", False))

SEEDS: dict[str, Seed] = {
    # Issue 19, 1: a remote run whose input is a Git hook.
    "hook input, pull": Seed(
        remote_run(("input", (".git/hooks/post-checkout", HOOK, "file", 0))),
        (("pull", "--", "{RUN}"),),
        fresh=True,
    ),
    "hook input, checkout": Seed(
        remote_run(("input", (".git/hooks/post-checkout", HOOK, "file", 0))),
        (("fetch", "--", "{RUN}"), ("checkout", "--", "{RUN}")),
    ),
    "config input, pull": Seed(
        remote_run(
            ("input", (".repro/config.toml", _tree(("config.toml", "text", False)), "file", 0))
        ),
        (("pull", "--", "{RUN}"),),
    ),
    # Issue 19, 2: a step name that climbs out of the checkout folder.
    "step name escape, checkout": Seed(
        remote_run(("step-name", ("../../../..", 0, True)), ("output-name", ("victimfile.txt", 0))),
        (("fetch", "--", "{RUN}"), ("checkout", "--", "{RUN}")),
    ),
    # Found by the fuzzer: what a record's schema admits but still harms.
    "uncommitted diff, replay": Seed(remote_run(("diff", "crafted")), (("replay", "--", "{RUN}"),)),
    "source folder as a dataset, pull": Seed(
        remote_run(("stash-source", 0), ("input", ("lib", MODULE, "folder", 0))),
        (("pull", "--", "{RUN}"),),
    ),
    "module shadowing the standard library, pull": Seed(
        remote_run(("input", ("csv.py", _tree(("csv.py", "python", False)), "file", 0))),
        (("pull", "--", "{RUN}"),),
    ),
    "package shadowing repro, pull": Seed(
        remote_run(("input", ("repro", PACKAGE, "folder", 0))),
        (("pull", "--", "{RUN}"), ("status",)),
    ),
    "through the project's symlink, pull": Seed(
        remote_run(("input", ("shared/pwned", _tree(("pwned", "text", False)), "file", 0))),
        (("pull", "--", "{RUN}"),),
    ),
    "pickle output, report": Seed(
        remote_run(("output-payload", (0, "pickle", "pickle", "blob", HOOK, "builtins.dict", b""))),
        (("fetch", "--", "{RUN}"), ("report", "--", "{RUN}"), ("checkout", "--", "{RUN}")),
    ),
    "object npy output, report": Seed(
        remote_run(("output-payload", (2, "numpy.npy", "npy", "blob", HOOK, "numpy.ndarray", b""))),
        (("fetch", "--", "{RUN}"), ("report", "--", "{RUN}"), ("runs", "show", "--", "{RUN}")),
    ),
    "tracked file made executable, checkout": Seed(
        remote_run(("input", ("lib/scale.py", _tree(("scale.py", "source", True)), "file", 0))),
        (("fetch", "--", "{RUN}"), ("checkout", "--", "{RUN}")),
    ),
    "line break in a tag, runs list": Seed(
        remote_run(("tags", ("note", "x\nFAKE line printed raw"))),
        (("fetch", "--", "{RUN}"), ("runs", "list"), ("runs", "show", "--", "{RUN}")),
    ),
    "commit that looks like an option, replay": Seed(
        remote_run(("git-commit", "--output={VICTIM}/pwned-option")),
        (("replay", "--", "{RUN}"),),
    ),
    "listing not UTF-8, fetch": Seed(
        damaged("listing-random"), (("fetch", "--", "{RUN}"),), fresh=True
    ),
    "pack index lying about lengths, pull": Seed(
        damaged("idx-lying"), (("pull", "--", "{RUN}"),), fresh=True
    ),
    "remote object a symlink to /dev/zero, pull": Seed(
        damaged("loose-symlink-zero"), (("pull", "--", "{RUN}"),), fresh=True
    ),
    # Issue 19, 3: a YAML alias bomb in the lock.
    "lock alias bomb": Seed(replaced("repro.lock", "bomb"), (("check", "lock"), ("status",))),
    "lock a symlink to /dev/zero": Seed(
        replaced("repro.lock", "symlink-zero"), (("check", "lineage"), ("status",))
    ),
    "lock output unknown to the pipeline, status": Seed(
        lock_edit(("output-name", ("other", 2))), (("status",),)
    ),
    # Issue 19, 4: a config that is not UTF-8.
    "config not UTF-8": Seed(replaced(".repro/config.toml", "non-utf8"), (("status",), ("fsck",))),
    "config nested 5,000 deep": Seed(replaced(".repro/config.toml", "deep"), (("status",),)),
    "config a symlink to /dev/zero": Seed(
        replaced(".repro/config.toml", "symlink-zero"), (("status",),)
    ),
    "models.yaml not UTF-8": Seed(
        replaced("models.yaml", "non-utf8"), (("models", "list"), ("gc", "--dry-run"))
    ),
    "models.yaml a symlink to /dev/zero": Seed(
        replaced("models.yaml", "symlink-zero"), (("models", "list"),)
    ),
    "record nested 200,000 deep, runs list": Seed(deep_local_record, (("runs", "list"),)),
}


# Findings of issue 19 not fixed yet (the issue stays open on them): each
# seed still shows the defect; strict, so the fix must remove it from here.
# A remote record's uncommitted diff is applied by a replay (code from the
# remote runs), and a dataset uri may name any work-tree path outside .git
# and .repro (source files, a module shadowing another).
OPEN_FINDINGS = {
    "uncommitted diff, replay": "issue 19: a replay applies a remote record's diff",
    "source folder as a dataset, pull": "issue 19: a dataset uri may name tracked source",
    "module shadowing the standard library, pull": "issue 19: a dataset may be a new module",
    "package shadowing repro, pull": "issue 19: a dataset may be a new package",
    "tracked file made executable, checkout": "issue 19: a file input restores its mode",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=OPEN_FINDINGS[name]))
        if name in OPEN_FINDINGS
        else name
        for name in SEEDS
    ],
)
def test_seed(template: Template, name: str) -> None:
    seed = SEEDS[name]
    with attack(template, f"seed: {name}") as case:
        if seed.fresh:
            forget_local(case)
        run = seed.plant(case)
        case.freeze()
        for args in seed.commands:
            case.repro(*(arg.replace("{RUN}", run) for arg in args))


def test_seed_records_are_well_formed(template: Template) -> None:
    """The seeds' records are the real one but for their attack: the
    unmutated crafted record is fetched and checked out without a finding."""
    with attack(template, "seed: control") as case:
        forget_local(case)
        store = Store(case, case.store)
        run = publish(store, craft_record(store, []))
        assert dumps(craft_record(store, []))  # serializable
        case.freeze()
        assert case.repro("pull", "--", run).code == 0
        assert case.repro("checkout", "--", run).code == 0
        assert case.repro("replay", "--", run).code == 0
