"""``repro.lock``: a golden file, stable sorted YAML, round trips and errors
that point at the line to fix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from repro.lineage.lock import (
    LOCK_SCHEMA,
    LockedPipeline,
    LockedStep,
    LockFile,
    LockInvalidError,
    LockNewerSchemaError,
    dump_lock,
    parse_lock,
    read_lock,
)
from repro.lineage.records import EnvironmentRecord, Fingerprints, InputSnapshot, ModelVersion

GOLDEN = Path(__file__).parent / "golden" / "lock.yaml"
REGENERATE = os.environ.get("REPRO_REGEN_GOLDEN") == "1"

OID = {
    "record": "3f9a1c0d5e7b2a8416c9d0e3b7f2a541",
    "commit": "9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6a",
    "env": "a41d7e90c3b25f68d1e4a7b0c3f69d2e",
    "lockfile": "0b7e3a9c5d1f8e2a4c6b9d0e7f3a1c58",
    "data": "e5c8a1f4b7d0e3a6c9f2b5d8e1a4c7f0",
    "code_load": "17d4a9e2c5f8b1d4e7a0c3f6b9d2e5a8",
    "code_train": "c2f5b8e1d4a7c0f3b6e9d2a5c8f1b4e7",
    "rows": "8a1d4f7c0e3b6a9d2f5c8e1b4a7d0c3f",
    "model": "d6a9c2f5e8b1d4a7c0f3e6b9d2a5c8f1",
    "score": "f0c3e6a9d2b5f8c1e4a7d0b3f6c9e2a5",
    "key_load": "5b8e1a4d7c0f3b6e9a2d5c8f1e4b7a0d",
    "key_train": "2e5a8d1c4f7b0e3a6d9c2f5b8e1a4d7c",
}


def environment() -> EnvironmentRecord:
    return EnvironmentRecord(
        python="cpython-3.11",
        python_full="3.11.9",
        platform="linux-x86_64",
        lockfile="uv.lock",
        lockfile_oid=OID["lockfile"],
        distributions={"numpy": "2.4.6", "scikit-learn": "1.9.0"},
        image="ghcr.io/acme/train@sha256:" + "4c" * 32,
        oid=OID["env"],
    )


def locked_step(code: str, key: str, inputs: dict[str, str], params: dict[str, Any],
                outputs: dict[str, str]) -> LockedStep:  # fmt: skip
    prints = Fingerprints(code=code, environment=OID["env"], inputs=inputs, params=params)
    return LockedStep(cache_key=key, fingerprints=prints, outputs=outputs)


def locked_pipeline(**changes: Any) -> LockedPipeline:
    fields: dict[str, Any] = {
        "run": "01hq3v8k2m9x4c",
        "record": OID["record"],
        "target": "flows/train.py:train",
        "commit": OID["commit"],
        "dirty": False,
        "params": {"data": "data/rows.csv", "epochs": 20, "rate": 0.05, "layers": [64, 32]},
        "defaults": {"data": "data/rows.csv", "epochs": 10, "rate": 0.05, "layers": [64, 32]},
        "environment": environment(),
        "inputs": {
            "data/rows.csv": InputSnapshot(
                uri="data/rows.csv", oid=OID["data"], files=1, bytes=48213
            )
        },
        "code_files": {"flows/train.py": OID["code_train"], "flows/helpers.py": OID["code_load"]},
        "steps": {
            "load": locked_step(
                OID["code_load"],
                OID["key_load"],
                {"path": OID["data"]},
                {},
                {"output": OID["rows"]},
            ),
            "train": locked_step(
                OID["code_train"],
                OID["key_train"],
                {"rows": OID["rows"]},
                {"epochs": 20, "rate": 0.05},
                {"model": OID["model"], "score": OID["score"]},
            ),
        },
        "models": [ModelVersion(name="churn", version=OID["model"], step="train", output="model")],
    }
    return LockedPipeline(**{**fields, **changes})


def lock() -> LockFile:
    return LockFile().with_pipeline("train", locked_pipeline())


# The golden file ---------------------------------------------------------------------------------


def test_dump_matches_the_golden_file() -> None:
    text = dump_lock(lock())
    if REGENERATE:
        GOLDEN.write_text(text, encoding="utf-8", newline="\n")
    assert GOLDEN.read_text(encoding="utf-8") == text


def test_golden_file_parses_to_the_same_lock() -> None:
    assert parse_lock(GOLDEN.read_text(encoding="utf-8")) == lock()


# Stable, sorted text -----------------------------------------------------------------------------


def test_dump_is_deterministic() -> None:
    assert dump_lock(lock()) == dump_lock(lock())


def test_dump_does_not_depend_on_insertion_order() -> None:
    original = locked_pipeline()
    reordered = locked_pipeline(
        params=dict(reversed(original.params.items())),
        code_files=dict(reversed(original.code_files.items())),
        steps=dict(reversed(original.steps.items())),
    )
    second = LockFile().with_pipeline("b", original).with_pipeline("a", original)
    first = LockFile().with_pipeline("a", reordered).with_pipeline("b", reordered)
    assert dump_lock(first) == dump_lock(second)


def test_dump_sorts_every_mapping() -> None:
    def keys_sorted(node: Any) -> bool:
        if isinstance(node, dict):
            return list(node) == sorted(node) and all(keys_sorted(v) for v in node.values())
        if isinstance(node, list):
            return all(keys_sorted(v) for v in node)
        return True

    reordered = locked_pipeline(steps=dict(reversed(locked_pipeline().steps.items())))
    text = dump_lock(LockFile().with_pipeline("z", reordered).with_pipeline("a", reordered))
    assert keys_sorted(yaml.safe_load(text))


def test_dump_starts_with_a_header_and_the_schema() -> None:
    lines = dump_lock(lock()).splitlines()
    assert lines[0].startswith("# repro.lock: written by `repro run`; commit it.")
    assert "schema: repro.lock/v1" in lines


def test_parse_of_dump_is_the_same_lock() -> None:
    assert parse_lock(dump_lock(lock())) == lock()


def test_write_then_read(tmp_path: Path) -> None:
    path = tmp_path / "repro.lock"
    path.write_text(dump_lock(lock()))
    assert read_lock(str(path)) == lock()


def test_read_of_a_missing_lock_is_none(tmp_path: Path) -> None:
    assert read_lock(str(tmp_path / "repro.lock")) is None


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


# Any name that can stand as one folder of a checkout: no "/", no control
# character, not "." or "..", not .git or .repro.
STEP_NAMES = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/"),
    min_size=1,
    max_size=16,
).filter(lambda name: name not in {".", "..", ".git", ".repro"})


@given(
    params=st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=6),
    names=st.lists(STEP_NAMES, min_size=1, max_size=4, unique=True),
)
def test_round_trip_of_any_params_and_step_names(params: dict[str, Any], names: list[str]) -> None:
    template = locked_pipeline().steps["train"]
    prints = template.fingerprints.model_copy(update={"params": params})
    steps = {name: template.model_copy(update={"fingerprints": prints}) for name in names}
    original = LockFile().with_pipeline(names[0], locked_pipeline(params=params, steps=steps))
    text = dump_lock(original)
    assert parse_lock(text) == original
    assert dump_lock(parse_lock(text)) == text


# Errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "bad"),
    [
        ("step", "../../.."),
        ("step", "a/b"),
        ("step", ".git"),
        ("step", "fake\nline"),
        ("input", ".git/hooks/post-checkout"),
        ("input", ".repro/config.toml"),
        ("input", "/etc/passwd"),
        ("input", "data/../../x"),
        ("output", "../victim"),
        ("code", "../../outside.py"),
    ],
)
def test_names_and_paths_that_leave_their_place_are_refused(where: str, bad: str) -> None:
    """A lock comes with a pull request: a name or path in it that could
    write outside its place, into .git or .repro, or fake a line of output,
    makes the lock invalid (one line naming the file), never a write."""
    doc = yaml.safe_load(dump_lock(lock()))
    entry = doc["pipelines"]["train"]
    if where == "step":
        entry["steps"][bad] = entry["steps"].pop("train")
    elif where == "input":
        entry["inputs"][bad] = entry["inputs"].pop(next(iter(entry["inputs"])))
    elif where == "output":
        entry["steps"]["train"]["outputs"][bad] = entry["steps"]["train"]["outputs"].pop("model")
    else:
        entry["code_files"][bad] = entry["code_files"].pop("flows/train.py")
    text = yaml.safe_dump(doc)
    with pytest.raises(LockInvalidError, match=r"^repro.lock:\d+: .*is refused"):
        parse_lock(text)


def test_empty_file_is_an_empty_lock() -> None:
    assert parse_lock("") == LockFile()
    assert parse_lock("# only a comment\n") == LockFile(pipelines={})


def test_invalid_yaml_points_at_its_line() -> None:
    text = "schema: repro.lock/v1\npipelines:\n  train: {run: [\n"
    with pytest.raises(LockInvalidError, match=r"^repro.lock:4: not valid YAML") as caught:
        parse_lock(text)
    assert caught.value.line == 4


def test_control_character_points_at_its_line() -> None:
    text = "schema: repro.lock/v1\n# é\npipelines:\n  a\x07: {}\n"
    with pytest.raises(LockInvalidError, match=r"^locks/repro.lock:4: not valid YAML") as caught:
        parse_lock(text, "locks/repro.lock")
    assert caught.value.line == 4


def test_wrong_type_deep_inside_points_at_that_node() -> None:
    text = dump_lock(lock()).replace(
        f"        outputs:\n          output: {OID['rows']}\n", "        outputs: [oops]\n"
    )
    line = text.splitlines().index("        outputs: [oops]") + 1
    message = (
        rf"^repro.lock:{line}: pipelines.train.steps.load.outputs: Input should be a valid dict"
    )
    with pytest.raises(LockInvalidError, match=message) as caught:
        parse_lock(text)
    assert caught.value.line == line


def test_unknown_key_is_refused_at_its_line() -> None:
    text = dump_lock(lock()).replace("    dirty: false\n", "    dirty: false\n    dirt: true\n")
    line = text.splitlines().index("    dirt: true") + 1
    with pytest.raises(LockInvalidError, match=rf":{line}: pipelines.train.dirt: Extra inputs"):
        parse_lock(text)


def test_missing_key_is_refused() -> None:
    text = dump_lock(lock()).replace("    dirty: false\n", "")
    with pytest.raises(LockInvalidError, match=r"pipelines.train.dirty: Field required"):
        parse_lock(text)


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(LockInvalidError, match=r"^repro.lock:1: expected a mapping"):
        parse_lock("- a\n- b\n")


def test_newer_schema_says_upgrade_repro() -> None:
    text = dump_lock(lock()).replace(LOCK_SCHEMA, "repro.lock/v2")
    with pytest.raises(LockNewerSchemaError, match=r"schema repro.lock/v2.*: upgrade repro$"):
        parse_lock(text)


def test_foreign_schema_is_invalid() -> None:
    with pytest.raises(LockInvalidError, match=r"^repro.lock:1: schema: Input should be"):
        parse_lock("schema: dvc.lock/v1\n")


# JSON Schema -------------------------------------------------------------------------------------


JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_errors(root: dict[str, Any], node: dict[str, Any], doc: Any, at: str = "") -> list[str]:
    """Where ``doc`` breaks ``node``: the JSON Schema keywords pydantic emits
    for the lock ($ref, type, const, anyOf, properties, required,
    additionalProperties, items), since the ``jsonschema`` package is not
    installed."""
    if "$ref" in node:
        return schema_errors(root, root["$defs"][node["$ref"].rsplit("/", 1)[1]], doc, at)
    if "anyOf" in node:
        options = [schema_errors(root, option, doc, at) for option in node["anyOf"]]
        return [] if [] in options else [f"{at}: matches no anyOf option"]
    kind = node.get("type")
    if kind and not isinstance(doc, JSON_TYPES[kind]):
        return [f"{at}: not {kind}"]
    if kind in ("integer", "number") and isinstance(doc, bool):
        return [f"{at}: not {kind}"]
    if "const" in node and doc != node["const"]:
        return [f"{at}: not {node['const']!r}"]
    if isinstance(doc, list):
        return [
            e
            for i, v in enumerate(doc)
            for e in schema_errors(root, node.get("items", {}), v, f"{at}.{i}")
        ]
    if not isinstance(doc, dict):
        return []
    errors = [f"{at}.{key}: required" for key in node.get("required", []) if key not in doc]
    for key, value in doc.items():
        child = node.get("properties", {}).get(key, node.get("additionalProperties", {}))
        if child is False:
            errors.append(f"{at}.{key}: not allowed")
        elif isinstance(child, dict):
            errors += schema_errors(root, child, value, f"{at}.{key}")
    return errors


def test_json_schema_names_schema_and_pipelines() -> None:
    schema = LockFile.model_json_schema(by_alias=True)
    assert {"schema", "pipelines"} <= set(schema["properties"])
    assert schema["properties"]["schema"]["const"] == LOCK_SCHEMA
    assert schema["additionalProperties"] is False
    assert {"LockedPipeline", "LockedStep", "EnvironmentRecord"} <= set(schema["$defs"])


def test_json_schema_fits_a_dumped_lock() -> None:
    schema = LockFile.model_json_schema(by_alias=True)
    assert schema_errors(schema, schema, yaml.safe_load(dump_lock(lock()))) == []


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (
            ("pipelines", "train", "steps", "load", "extra"),
            1,
            ".pipelines.train.steps.load.extra: not allowed",
        ),
        (("pipelines", "train", "dirty"), "no", ".pipelines.train.dirty: not boolean"),
        (
            ("pipelines", "train", "environment", "image"),
            3,
            ".pipelines.train.environment.image: matches no anyOf option",
        ),
        (("schema",), "repro.lock/v2", ".schema: not 'repro.lock/v1'"),
    ],
)
def test_json_schema_check_finds_a_broken_lock(
    path: tuple[str, ...], value: object, error: str
) -> None:
    schema = LockFile.model_json_schema(by_alias=True)
    doc = yaml.safe_load(dump_lock(lock()))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    assert schema_errors(schema, schema, doc) == [error]
