"""Code fingerprints: stale exactly when code the step reaches changes.

Each version of a throwaway project is written to its own folder and imported
fresh (same module names, other folder), so comparing two versions also shows
that the folder's location does not enter the oid.
"""

from __future__ import annotations

import importlib
import itertools
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from repro_testing import write_files

from repro.pipelines.fingerprint import (
    CodeFingerprint,
    SourceUnavailableError,
    changed_files,
    code_fingerprint,
)

Load = Callable[..., CodeFingerprint]


def write_project(root: Path, files: dict[str, str]) -> Path:
    return write_files(root, {name: textwrap.dedent(text).encode() for name, text in files.items()})


def fingerprint_in(root: Path, target: str) -> CodeFingerprint:
    """Import ``module:function`` from ``root`` and fingerprint it, then forget
    the project's modules so that the next version imports afresh."""
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        module_name, _, name = target.partition(":")
        module = importlib.import_module(module_name)
        return code_fingerprint(getattr(module, name), str(root))
    finally:
        sys.path.remove(str(root))
        forget_modules_under(root)


def forget_modules_under(root: Path) -> None:
    for name, module in list(sys.modules.items()):
        locations = [getattr(module, "__file__", None) or "", *getattr(module, "__path__", [])]
        if any(str(location).startswith(str(root)) for location in locations):
            del sys.modules[name]


@pytest.fixture
def load(tmp_path: Path) -> Iterator[Load]:
    counter = itertools.count()

    def load_(files: dict[str, str], target: str, folder: str | None = None) -> CodeFingerprint:
        root = write_project(tmp_path / (folder or f"version{next(counter)}"), files)
        return fingerprint_in(root, target)

    yield load_
    forget_modules_under(tmp_path)


STEP = """
    def step(x):
        \"\"\"Doubles x.\"\"\"
        return x * 2
"""


def test_editing_the_step_body_changes_the_oid(load: Load) -> None:
    before = load({"body_steps.py": STEP}, "body_steps:step")
    after = load({"body_steps.py": STEP.replace("x * 2", "x * 3")}, "body_steps:step")
    assert before.oid != after.oid


def test_editing_the_docstring_a_comment_or_the_layout_keeps_the_oid(load: Load) -> None:
    edited = """
        # a comment above
        def step(x):
            \"\"\"Doubles x, documented at length.\"\"\"

            return (x *
                    2)  # a comment inside
    """
    before = load({"doc_steps.py": STEP}, "doc_steps:step")
    after = load({"doc_steps.py": edited}, "doc_steps:step")
    assert before.oid == after.oid


HELPERS = """
    def step(x):
        return helper(x)

    def helper(x):
        return inner(x) + 1

    def inner(x):
        return x * 2

    def unused(x):
        return x - 1
"""


def test_editing_a_same_module_helper_it_calls_changes_the_oid(load: Load) -> None:
    before = load({"calls_steps.py": HELPERS}, "calls_steps:step")
    after = load({"calls_steps.py": HELPERS.replace("+ 1", "+ 2")}, "calls_steps:step")
    assert before.oid != after.oid


def test_editing_a_helper_of_a_helper_changes_the_oid(load: Load) -> None:
    before = load({"deep_steps.py": HELPERS}, "deep_steps:step")
    after = load({"deep_steps.py": HELPERS.replace("x * 2", "x * 5")}, "deep_steps:step")
    assert before.oid != after.oid


def test_editing_a_same_module_function_it_does_not_reference_keeps_the_oid(load: Load) -> None:
    before = load({"unref_steps.py": HELPERS}, "unref_steps:step")
    after = load({"unref_steps.py": HELPERS.replace("x - 1", "x - 7")}, "unref_steps:step")
    assert before.oid == after.oid


def imported_helper_project(helper_body: str, unrelated_body: str = "1") -> dict[str, str]:
    return {
        "imp_steps.py": """
            from imp_helpers import clean

            def step(x):
                return clean(x)
        """,
        "imp_helpers.py": f"""
            def clean(x):
                return {helper_body}

            def other(x):
                return x
        """,
        "imp_unrelated.py": f"VALUE = {unrelated_body}\n",
    }


def test_editing_a_helper_in_an_imported_module_changes_the_oid(load: Load) -> None:
    before = load(imported_helper_project("x.strip()"), "imp_steps:step")
    after = load(imported_helper_project("x.lower()"), "imp_steps:step")
    assert before.oid != after.oid


def test_editing_any_function_of_an_imported_module_changes_the_oid(load: Load) -> None:
    project = imported_helper_project("x.strip()")
    before = load(project, "imp_steps:step")
    project["imp_helpers.py"] = project["imp_helpers.py"].replace("return x\n", "return -x\n")
    assert load(project, "imp_steps:step").oid != before.oid


def test_files_lists_the_step_module_and_the_imported_module_only(load: Load) -> None:
    fingerprint = load(imported_helper_project("x.strip()"), "imp_steps:step")
    assert sorted(fingerprint.files) == ["imp_helpers.py", "imp_steps.py"]


def test_editing_an_unrelated_project_module_keeps_the_oid(load: Load) -> None:
    before = load(imported_helper_project("x.strip()", unrelated_body="1"), "imp_steps:step")
    after = load(imported_helper_project("x.strip()", unrelated_body="2"), "imp_steps:step")
    assert before.oid == after.oid


def transitive_project(deepest: str) -> dict[str, str]:
    return {
        "chain_steps.py": """
            import chain_a

            def step(x):
                return chain_a.first(x)
        """,
        "chain_a.py": """
            from chain_b import second

            def first(x):
                return second(x)
        """,
        "chain_b.py": f"""
            def second(x):
                return {deepest}
        """,
    }


def test_a_module_reached_transitively_invalidates(load: Load) -> None:
    before = load(transitive_project("x + 1"), "chain_steps:step")
    after = load(transitive_project("x + 2"), "chain_steps:step")
    assert before.oid != after.oid
    assert sorted(after.files) == ["chain_a.py", "chain_b.py", "chain_steps.py"]


def package_project(body: str) -> dict[str, str]:
    return {
        "rel_steps.py": """
            from relpkg.api import run

            def step(x):
                return run(x)
        """,
        "relpkg/__init__.py": "",
        "relpkg/api.py": """
            from .impl import work

            def run(x):
                return work(x)
        """,
        "relpkg/impl.py": f"""
            def work(x):
                return {body}
        """,
    }


def test_relative_imports_in_a_package_are_followed(load: Load) -> None:
    before = load(package_project("x"), "rel_steps:step")
    after = load(package_project("-x"), "rel_steps:step")
    assert before.oid != after.oid
    assert "relpkg/impl.py" in after.files


def submodule_project(body: str) -> dict[str, str]:
    return {
        "attr_steps.py": """
            import attrpkg.sub

            def step(x):
                return attrpkg.sub.work(x)
        """,
        "attrpkg/__init__.py": "",
        "attrpkg/sub.py": f"""
            def work(x):
                return {body}
        """,
    }


def test_a_submodule_reached_through_an_attribute_chain_invalidates(load: Load) -> None:
    before = load(submodule_project("x"), "attr_steps:step")
    after = load(submodule_project("x + x"), "attr_steps:step")
    assert before.oid != after.oid


def constant_project(value: str) -> dict[str, str]:
    return {
        "const_steps.py": f"""
            THRESHOLD = {value}
            LABELS = frozenset({{"low", "mid", "high"}})

            def step(x):
                return x > THRESHOLD and str(x) in LABELS
        """
    }


def test_a_changed_module_level_constant_changes_the_oid(load: Load) -> None:
    before = load(constant_project("0.5"), "const_steps:step")
    after = load(constant_project("0.75"), "const_steps:step")
    assert before.oid != after.oid


def test_a_changed_module_level_dict_changes_the_oid(load: Load) -> None:
    source = """
        PARAMS = {"alpha": 0.1}

        def step(x):
            return x * PARAMS["alpha"]
    """
    before = load({"dict_steps.py": source}, "dict_steps:step")
    after = load({"dict_steps.py": source.replace("0.1", "0.2")}, "dict_steps:step")
    assert before.oid != after.oid


def closure_project(factor: int) -> dict[str, str]:
    return {
        "clos_steps.py": f"""
            def make(factor):
                def scaled(x):
                    return x * factor
                return scaled

            step = make({factor})
        """
    }


def test_a_changed_closure_value_changes_the_oid(load: Load) -> None:
    before = load(closure_project(2), "clos_steps:step")
    after = load(closure_project(3), "clos_steps:step")
    assert before.oid != after.oid


def test_a_method_step_covers_the_methods_of_its_class(load: Load) -> None:
    source = """
        class Cleaner:
            def step(self, x):
                return self.helper(x)

            def helper(self, x):
                return x + 1

        step = Cleaner().step
    """
    before = load({"meth_steps.py": source}, "meth_steps:step")
    after = load({"meth_steps.py": source.replace("x + 1", "x + 2")}, "meth_steps:step")
    assert before.oid != after.oid


THIRD_PARTY = {
    "tp_steps.py": """
        import json

        import yaml
        from tp_helpers import digest

        def step(x):
            return yaml.safe_dump(json.loads(x)) + digest(x)
    """,
    "tp_helpers.py": """
        import os.path

        import xxhash

        def digest(x):
            return xxhash.xxh3_64_hexdigest(x)
    """,
}


def test_third_party_modules_are_listed_and_the_standard_library_is_not(load: Load) -> None:
    assert load(THIRD_PARTY, "tp_steps:step").modules == ("xxhash", "yaml")


def test_repro_itself_is_not_a_module_of_the_step(load: Load) -> None:
    source = """
        from repro.hashing import canonical_dumps

        def step(x):
            return canonical_dumps(x)
    """
    assert load({"self_steps.py": source}, "self_steps:step").modules == ()


def test_the_oid_survives_moving_the_project(load: Load, tmp_path: Path) -> None:
    before = load(THIRD_PARTY, "tp_steps:step", folder="here")
    shutil.move(tmp_path / "here", tmp_path / "moved")
    after = fingerprint_in(tmp_path / "moved", "tp_steps:step")
    assert (after.oid, after.files, after.modules) == (before.oid, before.files, before.modules)


def test_a_path_built_from_the_module_file_does_not_tie_the_oid_to_the_folder(
    load: Load,
) -> None:
    source = """
        import os

        DATA = os.path.join(os.path.dirname(__file__), "data.csv")

        def step():
            return DATA, __file__
    """
    here = load({"path_steps.py": source}, "path_steps:step", folder="here")
    there = load({"path_steps.py": source}, "path_steps:step", folder="elsewhere/deeper")
    assert here.oid == there.oid


FRESH = """
import sys
from repro.pipelines.fingerprint import code_fingerprint
sys.path.insert(0, sys.argv[1])
import tp_steps
print(code_fingerprint(tp_steps.step, sys.argv[1]).oid)
"""


def test_the_oid_is_the_same_in_a_fresh_interpreter(load: Load, tmp_path: Path) -> None:
    here = load({**THIRD_PARTY, **constant_project("0.5")}, "tp_steps:step", folder="fresh")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", FRESH, str(tmp_path / "fresh")],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.stdout.strip() == here.oid


def test_a_frozenset_constant_hashes_alike_under_any_hash_seed(load: Load, tmp_path: Path) -> None:
    script = FRESH.replace("tp_steps", "const_steps")
    load(constant_project("0.5"), "const_steps:step", folder="seeded")
    oids = {
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "seeded")],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(oids) == 1


def test_a_repro_step_wrapper_has_the_oid_of_its_function(load: Load) -> None:
    source = """
        class Step:
            __wrapped_step__ = True

            def __init__(self, func):
                self.func = func

        def plain(x):
            return x + 1

        wrapped = Step(plain)
    """
    plain = load({"wrap_steps.py": source}, "wrap_steps:plain")
    wrapped = load({"wrap_steps.py": source}, "wrap_steps:wrapped")
    assert wrapped.oid == plain.oid


def test_an_exec_defined_function_raises_source_unavailable(tmp_path: Path) -> None:
    namespace: dict[str, object] = {}
    exec("def made_by_exec(x):\n    return x\n", namespace)
    func = namespace["made_by_exec"]
    assert callable(func)
    with pytest.raises(SourceUnavailableError, match=r"'made_by_exec'.*REPL or by exec"):
        code_fingerprint(func, str(tmp_path))


def test_a_function_outside_the_project_raises_source_unavailable(tmp_path: Path) -> None:
    root = write_project(tmp_path / "elsewhere", {"out_steps.py": STEP})
    (tmp_path / "project").mkdir()
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("out_steps")
        with pytest.raises(SourceUnavailableError, match=r"'step'.*outside the project"):
            code_fingerprint(module.step, str(tmp_path / "project"))
    finally:
        sys.path.remove(str(root))
        forget_modules_under(root)


def test_changed_files_is_empty_while_nothing_changed(load: Load, tmp_path: Path) -> None:
    fingerprint = load(imported_helper_project("x"), "imp_steps:step", folder="same")
    assert changed_files(fingerprint.files, str(tmp_path / "same")) == ()


def test_changed_files_names_a_file_whose_bytes_changed(load: Load, tmp_path: Path) -> None:
    fingerprint = load(imported_helper_project("x"), "imp_steps:step", folder="edited")
    with open(tmp_path / "edited" / "imp_helpers.py", "a") as handle:
        handle.write("# a comment\n")
    assert changed_files(fingerprint.files, str(tmp_path / "edited")) == ("imp_helpers.py",)
