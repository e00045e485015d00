"""What an attacker plants, as hypothesis strategies: hostile strings for
every path-like and name-like field, payloads (a Git hook, a pickle, an
object-dtype ``.npy``, a Python module, an uncommitted diff that writes a
file when imported), crafted trees, records, locks, configs and
``models.yaml``, and random bytes.

Strings may hold placeholders filled in per case: ``{VICTIM}`` is the
folder beside the project that nothing may touch.

An attacker who can write to the shared remote (a folder) writes objects
where the store looks for them (``objects/ab/cdef…``, verified against
their id, so they must hash right) and lists a run as ``runs/<id>`` naming
its record object. One who can open a pull request commits ``repro.lock``,
``models.yaml`` or ``.repro/config.toml`` (or a symlink in their place).
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fuzz_harness import FAKE, Case
from fuzz_project import ALGORITHM
from hypothesis import strategies as st

from repro.hashing import get_algorithm
from repro.lineage.runs import new_run_id

_HASH = get_algorithm(ALGORITHM)

# -- hostile strings ----------------------------------------------------------

# Where a path from a record must never lead (the project is ws/project,
# the victim folder is ../../victim from it; `shared` is the project's own
# symlink to it).
ESCAPES = [
    "../pwned-up1",
    "../../pwned-up2",
    "../../victim/pwned-dotdot",
    "data/../../../victim/pwned-dotdot",
    "a/b/../../../../victim/pwned",
    "{VICTIM}/pwned-absolute",
    "//{VICTIM}/pwned-double-slash",
    "file://{VICTIM}/pwned-file-url",
    "file://../../victim/pwned-file-url",
    "file:///{VICTIM}/pwned",
    "shared/pwned-through-symlink",
    "shared",
    "data/../shared/pwned",
    "..\\..\\victim\\pwned-backslash",
    "~/pwned-home",
    "$HOME/pwned",
    "%2e%2e/%2e%2e/victim/pwned",
]
PROTECTED = [
    ".git/hooks/post-checkout",
    ".git/hooks/pre-commit",
    "./.git/hooks/post-merge",
    "data/../.git/hooks/pre-push",
    ".git/config",
    ".git",
    ".git/",
    ".GIT/hooks/post-checkout",
    ".git./hooks/x",
    ".repro/config.toml",
    ".repro/config.local.toml",
    ".repro",
    ".repro/cache/xxh3-128/objects/00/0000000000000000000000000000",
    ".repro/runs/01zzzzzzzzzzzz.json",
    "data/.git/hooks/x",
]
# Inside the project but not data: source it imports, tooling it runs.
WORKTREE = [
    "lib",
    "lib/scale.py",
    "flow.py",
    "csv.py",
    "repro/__main__.py",
    "sitecustomize.py",
    ".gitattributes",
    "pyproject.toml",
    "models.yaml",
    "repro.lock",
]
ODD = [
    "",
    ".",
    "./",
    "/",
    "//",
    "..",
    "...",
    "data//rows.csv",
    "data/./rows.csv",
    "data/rows.csv/",
    " ",
    "-rf",
    "--help",
    "--output=pwned",
    f"x\n{FAKE} line printed raw",
    f"x\r{FAKE}",
    "x\x00y",
    "x\x1b[31mred\x1b[0m",
    "x\tb",
    "\u202eevil.txt",
    "\u2028",
    "\x85",
    "\ufeffbom",
    "ünï/çødé",
    "\udc80",
    "a" * 300,
    "a/" * 2100 + "x",
    "x" * 100_000,
    "<script>alert(1)</script>",
    "C:\\Windows\\x",
    "s3://bucket/key",
    "http://127.0.0.1:9/x",
    "memory://x",
    "aux",
    "a:b",
]
PATHS = ESCAPES + PROTECTED + WORKTREE + ODD
NAMES = [*ODD, "../x", "../../victim", "a/b", ".git", ".repro", "{VICTIM}", "-h", "tiny"]


def _text() -> st.SearchStrategy[str]:
    return st.text(
        st.characters(codec=None, exclude_categories=()) | st.sampled_from("/.\\\n\x00:~"),
        max_size=12,
    )


def hostile_paths() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(PATHS),
        st.tuples(st.sampled_from(PATHS), st.sampled_from(PATHS)).map("/".join),
        _text(),
    )


def hostile_names() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NAMES), st.sampled_from(PATHS), _text())


def hostile_values() -> st.SearchStrategy[Any]:
    """Anything JSON (or YAML) can hold where a value is expected."""
    scalars = st.one_of(
        hostile_names(),
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([2**64, -(2**63), 10**400, -1, 0]),
        st.floats(allow_nan=True, allow_infinity=True),
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(hostile_names(), inner, max_size=3)
        ),
        max_leaves=6,
    )


# -- payloads -------------------------------------------------------------------


class _Exec:
    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (self.code,))


def _writes(case: Case, name: str) -> str:
    return f"open({str(case.victim / name)!r}, 'w').write('ran')"


PAYLOADS = ["hook", "python", "pickle", "npy", "text", "empty", "big", "source", "random"]


def payload(case: Case, kind: str, noise: bytes = b"") -> bytes:
    if kind == "hook":
        return f"#!/bin/sh\necho hooked > {case.victim / 'pwned-hook'}\n".encode()
    if kind == "python":
        return (_writes(case, "pwned-import") + "\n").encode()
    if kind == "pickle":
        return pickle.dumps(_Exec(_writes(case, "pwned-pickle")), protocol=4)
    if kind == "npy":
        import numpy as np

        buffer = io.BytesIO()
        array = np.empty(1, dtype=object)
        array[0] = _Exec(_writes(case, "pwned-npy"))
        np.save(buffer, array, allow_pickle=True)
        return buffer.getvalue()
    if kind == "empty":
        return b""
    if kind == "big":
        return b"\0" * (3 << 20)
    if kind == "source":  # a tracked file's exact bytes: then it counts as stored
        return (case.project / "lib" / "scale.py").read_bytes()
    if kind == "random":
        return noise
    return b"hello\n"


# -- writing into a store ----------------------------------------------------------


@dataclass
class Store:
    """A store the attacker writes objects into: the remote, or (bad luck,
    or someone with the machine) the local cache."""

    case: Case
    root: Path
    objects: list[str] = field(default_factory=list)  # every object put
    trees: dict[str, list[str]] = field(default_factory=dict)  # crafted tree -> its paths

    def put(self, data: bytes) -> str:
        oid = _HASH.hexdigest(data)
        self.objects.append(oid)
        path = self.root / "objects" / oid[:2] / oid[2:]
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(data)
        return oid

    def put_wrong(self, data: bytes, oid: str) -> str:
        """Bytes under an id they do not hash to (a tampered object)."""
        path = self.root / "objects" / oid[:2] / oid[2:]
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.chmod(0o644)
        path.write_bytes(data)
        return oid

    def tree(self, rows: list[list[Any]]) -> str:
        return self.put(tree_bytes(rows))

    def list_run(self, name: str, content: bytes) -> None:
        folder = self.root / "runs"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)


def tree_bytes(rows: list[list[Any]], algorithm: str = ALGORITHM) -> bytes:
    """A tree manifest as repro writes one, whatever its rows hold."""
    body = _json(rows, separators=(",", ":"))[1:-1]
    return f'{{"algorithm":"{algorithm}","entries":[{body}],"format":"repro.tree/v1"}}'.encode(
        "utf-8", "surrogatepass"
    )


def _json(value: Any, **options: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, **options)
        text.encode("utf-8")
        return text
    except (UnicodeEncodeError, ValueError):
        return json.dumps(value, ensure_ascii=True, **options)


_DEEP = "\x00deep:"


def dumps(value: Any) -> bytes:
    """JSON as an attacker would write it (surrogates escaped; a deep marker
    becomes that many nested lists)."""
    text = _json(value, sort_keys=True, separators=(",", ":"))
    text = re.sub(r'"\\u0000deep:(\d+)"', lambda m: "[" * int(m[1]) + '"x"' + "]" * int(m[1]), text)
    return text.encode("utf-8")


# -- crafted trees --------------------------------------------------------------

TreeSpec = tuple[str, list[tuple[str, str, bool]], bytes]


def tree_specs() -> st.SearchStrategy[TreeSpec]:
    """(form, [(path, payload, executable)], noise): form is "rows" (a valid
    manifest of these rows), "unsorted", "duplicate", "bad-oid", "negative",
    "random" (noise as the manifest) or "deep"."""
    entry = st.tuples(
        st.one_of(hostile_paths(), st.sampled_from(["model.json", "a.txt", "post-checkout"])),
        st.sampled_from(PAYLOADS),
        st.booleans(),
    )
    forms = st.sampled_from(
        ["rows", "rows", "rows", "unsorted", "duplicate", "bad-oid", "negative", "random", "deep"]
    )
    return st.tuples(forms, st.lists(entry, min_size=1, max_size=4), st.binary(max_size=64))


def craft_tree(store: Store, spec: TreeSpec) -> str:
    form, entries, noise = spec
    case = store.case
    rows = []
    for path, kind, executable in entries:
        data = payload(case, kind, noise)
        rows.append([case.fill(path), store.put(data), len(data), executable])
    if form == "rows":
        rows.sort(key=lambda row: row[0])
    elif form == "duplicate":
        rows = [rows[0], rows[0], *rows[1:]]
    elif form == "bad-oid":
        rows[0][1] = "../" + rows[0][1]
    elif form == "negative":
        rows[0][2] = -1
    elif form == "random":
        return store.put(noise)
    elif form == "deep":
        return store.put(
            b'{"algorithm":"xxh3-128","entries":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        )
    oid = store.tree(rows)
    store.trees[oid] = [row[0] for row in rows if isinstance(row[0], str)]
    case.note(f"tree {oid} ({form}): {rows!r}"[:600])
    return oid


# -- crafted run records -----------------------------------------------------------------

Mutation = tuple[str, Any]
# What applying a mutation raises when an earlier one took away the shape it
# edits (a dict made a list): that mutation is left out.
_SHAPE_ERRORS = (AttributeError, KeyError, IndexError, TypeError, ValueError, ZeroDivisionError)
Mutator = Callable[[Store, dict[str, Any], Any], None]
MUTATORS: dict[str, tuple[st.SearchStrategy[Any], Mutator]] = {}


def mutator(name: str, values: st.SearchStrategy[Any]) -> Callable[[Mutator], Mutator]:
    def register(function: Mutator) -> Mutator:
        MUTATORS[name] = (values, function)
        return function

    return register


def _pick(mapping: dict[str, Any], index: int) -> str:
    keys = sorted(mapping)
    return keys[index % len(keys)]


def _rename(mapping: dict[str, Any], old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def _steps(doc: dict[str, Any]) -> dict[str, Any]:
    steps = doc.get("steps")
    return steps if isinstance(steps, dict) and steps else {"x": {}}


def _fill(store: Store, value: Any) -> Any:
    return store.case.fill(value)


@mutator(
    "input-uri",
    st.tuples(hostile_paths(), st.integers(0, 3), st.sampled_from(["both", "key", "uri"])),
)
def _input_uri(store: Store, doc: dict[str, Any], value: Any) -> None:
    path, index, where = value
    path = _fill(store, path)
    inputs = doc["inputs"]
    old = _pick(inputs, index)
    entry = dict(inputs.pop(old))
    if where != "uri":
        old = path
    if where != "key":
        entry["uri"] = path
    inputs[old] = entry


@mutator(
    "input-tree",
    st.tuples(tree_specs(), st.integers(0, 3), st.sampled_from(["file", "folder", "keep"])),
)
def _input_tree(store: Store, doc: dict[str, Any], value: Any) -> None:
    spec, index, kind = value
    entry = doc["inputs"][_pick(doc["inputs"], index)]
    entry["oid"] = craft_tree(store, spec)
    if kind != "keep":
        entry["kind"] = kind


@mutator(
    "input-field",
    st.tuples(
        st.sampled_from(["kind", "mode", "oid", "files", "bytes"]),
        hostile_values(),
        st.integers(0, 3),
    ),
)
def _input_field(store: Store, doc: dict[str, Any], value: Any) -> None:
    name, new, index = value
    doc["inputs"][_pick(doc["inputs"], index)][name] = _fill(store, new)


@mutator("input-reference", st.tuples(st.binary(max_size=200), st.integers(0, 3)))
def _input_reference(store: Store, doc: dict[str, Any], value: Any) -> None:
    noise, index = value
    entry = doc["inputs"][_pick(doc["inputs"], index)]
    entry["mode"] = "reference"
    entry["oid"] = store.put(noise or b"{}")


@mutator("step-name", st.tuples(hostile_names(), st.integers(0, 3), st.booleans()))
def _step_name(store: Store, doc: dict[str, Any], value: Any) -> None:
    name, index, follow = value
    name = _fill(store, name)
    steps = _steps(doc)
    old = _pick(steps, index)
    _rename(steps, old, name)
    if follow:  # keep the DAG consistent
        for step in steps.values():
            if isinstance(step, dict):
                step["upstream"] = [name if up == old else up for up in step.get("upstream", [])]
        for model in doc.get("models", []):
            if model.get("step") == old:
                model["step"] = name


@mutator("output-name", st.tuples(hostile_paths(), st.integers(0, 3)))
def _output_name(store: Store, doc: dict[str, Any], value: Any) -> None:
    name, index = value
    step = _steps(doc)[_pick(_steps(doc), index)]
    outputs = step.setdefault("outputs", {})
    if outputs:
        _rename(outputs, _pick(outputs, 0), _fill(store, name))


@mutator(
    "output-payload",
    st.tuples(
        st.integers(0, 3),
        st.sampled_from(
            [
                "pickle",
                "numpy.npy",
                "sklearn.skops",
                "pandas.parquet",
                "json",
                "text",
                "path",
                "file",
                "bytes",
                "drift",
                "no-such",
            ]
        ),
        st.sampled_from(PAYLOADS),
        st.sampled_from(["blob", "tree"]),
        tree_specs(),
        st.sampled_from(
            [
                "builtins.dict",
                "os.system",
                "subprocess.Popen",
                "builtins.eval",
                "numpy.ndarray",
                "pathlib.Path",
                "x" * 500,
            ]
        ),
        st.binary(max_size=64),
    ),
)
def _output_payload(store: Store, doc: dict[str, Any], value: Any) -> None:
    index, materializer, kind, artifact, spec, type_name, noise = value
    step = _steps(doc)[_pick(_steps(doc), index)]
    outputs = step.setdefault("outputs", {})
    name = _pick(outputs, 0) if outputs else "output"
    if artifact == "tree":
        oid = craft_tree(store, spec)
        size = 0
    else:
        data = payload(store.case, kind, noise)
        oid, size = store.put(data), len(data)
    outputs[name] = {
        "kind": artifact,
        "materializer": materializer,
        "oid": oid,
        "size": size,
        "type": type_name,
        "version": "1",
    }
    store.case.note(f"output {name} of a step: {materializer} {artifact} {kind}")


@mutator("artifact", st.tuples(hostile_paths(), st.sampled_from(PAYLOADS), st.binary(max_size=32)))
def _artifact(store: Store, doc: dict[str, Any], value: Any) -> None:
    name, kind, noise = value
    data = payload(store.case, kind, noise)
    step = _steps(doc)[_pick(_steps(doc), 0)]
    step.setdefault("artifacts", {})[_fill(store, name)] = {
        "kind": "blob",
        "materializer": "file",
        "oid": store.put(data),
        "size": len(data),
        "type": "pathlib.Path",
        "version": "1",
    }


SOURCES = ["flow.py", "lib/__init__.py", "lib/scale.py", "pyproject.toml", "models.yaml"]


@mutator("stash-source", st.integers(0, 3))
def _stash_source(store: Store, doc: dict[str, Any], value: Any) -> None:
    """The bytes of the project's tracked files (an attacker reads them in
    Git) as artifacts: fetched, they count as stored, and a checkout that
    refuses to overwrite what is not stored may then replace the files."""
    step = _steps(doc)[_pick(_steps(doc), value)]
    for number, name in enumerate(SOURCES):
        data = (store.case.project / name).read_bytes()
        step.setdefault("artifacts", {})[f"copy{number}"] = {
            "kind": "blob",
            "materializer": "file",
            "oid": store.put(data),
            "size": len(data),
            "type": "pathlib.Path",
            "version": "1",
        }


@mutator(
    "step-paths",
    st.tuples(
        st.sampled_from(["upstream", "code_files", "imports", "discovered"]),
        hostile_paths(),
        st.integers(0, 3),
    ),
)
def _step_paths(store: Store, doc: dict[str, Any], value: Any) -> None:
    which, path, index = value
    step = _steps(doc)[_pick(_steps(doc), index)]
    path = _fill(store, path)
    if which == "upstream":
        step.setdefault("upstream", []).append(path)
    elif which == "code_files":
        step.setdefault("code_files", {})[path] = "0" * 32
    else:
        fingerprints = step.get("fingerprints") or {}
        fingerprints.setdefault(which, {})[path] = None
        step["fingerprints"] = fingerprints


@mutator(
    "step-field",
    st.tuples(
        st.sampled_from(
            [
                "status",
                "kind",
                "cache_key",
                "cached_from",
                "command",
                "image",
                "log",
                "error",
                "reason",
                "started",
                "duration",
                "position",
                "metrics",
                "tags",
                "logged_params",
                "cache",
            ]
        ),
        hostile_values(),
        st.integers(0, 3),
    ),
)
def _step_field(store: Store, doc: dict[str, Any], value: Any) -> None:
    name, new, index = value
    _steps(doc)[_pick(_steps(doc), index)][name] = _fill(store, new)


@mutator("step-log", st.tuples(st.sampled_from(PAYLOADS), st.binary(max_size=64)))
def _step_log(store: Store, doc: dict[str, Any], value: Any) -> None:
    kind, noise = value
    _steps(doc)[_pick(_steps(doc), 0)]["log"] = store.put(payload(store.case, kind, noise))


@mutator("git", st.tuples(st.sampled_from(["commit", "branch", "diff", "dirty"]), hostile_values()))
def _git(store: Store, doc: dict[str, Any], value: Any) -> None:
    name, new = value
    doc["git"][name] = _fill(store, new)


@mutator(
    "git-commit",
    st.sampled_from(
        [
            "--output={VICTIM}/pwned-option",
            "-h",
            "HEAD",
            "HEAD~5",
            "main",
            "refs/heads/main",
            "0" * 40,
            "@{-1}",
            ":/lock",
            "HEAD^{tree}",
        ]
    ),
)
def _git_commit(store: Store, doc: dict[str, Any], value: Any) -> None:
    doc["git"]["commit"] = _fill(store, value)


@mutator("diff", st.sampled_from(["crafted", "random", "rename-out", "symlink"]))
def _diff(store: Store, doc: dict[str, Any], value: Any) -> None:
    """A dirty run: its uncommitted diff, which a replay applies and runs."""
    case = store.case
    if value == "crafted":
        data = case.fill(case.template.diff)
    elif value == "random":
        data = os.urandom(64)
    elif value == "rename-out":
        data = (
            b"diff --git a/flow.py b/../../victim/pwned-diff-path\n"
            b"similarity index 100%\nrename from flow.py\nrename to ../../victim/pwned-diff-path\n"
        )
    else:
        data = (
            b"diff --git a/data/link b/data/link\nnew file mode 120000\n--- /dev/null\n"
            b"+++ b/data/link\n@@ -0,0 +1 @@\n+" + os.fsencode(case.victim) + b"\n"
            b"\\ No newline at end of file\n"
        )
    doc["git"]["dirty"] = True
    doc["git"]["diff"] = store.put(data)
    case.note(f"uncommitted diff: {value}")


@mutator("params", st.tuples(hostile_names(), hostile_values()))
def _params(store: Store, doc: dict[str, Any], value: Any) -> None:
    key, new = value
    doc["params"][_fill(store, key)] = _fill(store, new)


@mutator("dataset-param", st.tuples(st.sampled_from(["data", "extra"]), hostile_paths()))
def _dataset_param(store: Store, doc: dict[str, Any], value: Any) -> None:
    key, path = value
    doc["params"][key] = _fill(store, path)


@mutator("masked", hostile_names())
def _masked(store: Store, doc: dict[str, Any], value: Any) -> None:
    doc.setdefault("masked_params", []).append(_fill(store, value))


@mutator("model", st.tuples(hostile_names(), hostile_names(), hostile_paths(), st.booleans()))
def _model(store: Store, doc: dict[str, Any], value: Any) -> None:
    name, step, output, real_version = value
    version = (
        doc["steps"]["fit"]["outputs"]["output"]["oid"] if real_version else _fill(store, step)
    )
    doc.setdefault("models", []).append(
        {
            "name": _fill(store, name),
            "output": _fill(store, output),
            "step": _fill(store, step),
            "version": version,
        }
    )


@mutator("tags", st.tuples(hostile_names(), hostile_names()))
def _tags(store: Store, doc: dict[str, Any], value: Any) -> None:
    key, new = value
    doc.setdefault("tags", {})[_fill(store, key)] = _fill(store, new)


@mutator("metric", st.tuples(hostile_names(), hostile_values()))
def _metric(store: Store, doc: dict[str, Any], value: Any) -> None:
    key, new = value
    step = _steps(doc)[_pick(_steps(doc), 2)]
    step.setdefault("metrics", {})[_fill(store, key)] = new


@mutator("imports", hostile_paths())
def _imports(store: Store, doc: dict[str, Any], value: Any) -> None:
    doc.setdefault("imports", {})[_fill(store, value)] = None


@mutator(
    "field",
    st.tuples(
        st.sampled_from(
            [
                "pipeline",
                "target",
                "backend",
                "status",
                "created",
                "finished",
                "replay_of",
                "schema",
                "environment",
                "verification",
                "params",
                "inputs",
                "steps",
                "models",
                "tags",
                "git",
            ]
        ),
        hostile_values(),
    ),
)
def _field(store: Store, doc: dict[str, Any], value: Any) -> None:
    name, new = value
    doc[name] = _fill(store, new)


@mutator(
    "environment",
    st.tuples(
        st.sampled_from(
            ["image", "python", "platform", "lockfile", "lockfile_oid", "oid", "distributions"]
        ),
        hostile_values(),
    ),
)
def _environment(store: Store, doc: dict[str, Any], value: Any) -> None:
    name, new = value
    doc["environment"][name] = _fill(store, new)


@mutator(
    "backend", st.sampled_from(["docker", "argo", "local", "kubernetes", "../x", "", "docker://x"])
)
def _backend(store: Store, doc: dict[str, Any], value: Any) -> None:
    doc["backend"] = value


@mutator("verification", st.tuples(hostile_names(), hostile_names()))
def _verification(store: Store, doc: dict[str, Any], value: Any) -> None:
    step, text = value
    doc["verification"] = {
        "verdict": "different",
        "steps": {_fill(store, step): "different"},
        "first_divergence": _fill(store, step),
        "explanation": _fill(store, text),
    }
    doc["replay_of"] = doc["id"]


@mutator("deep", st.integers(50, 3000))
def _deep(store: Store, doc: dict[str, Any], value: Any) -> None:
    # Nested lists deeper than this process could serialize: spliced in by dumps.
    doc["params"]["deep"] = f"{_DEEP}{value}"


@mutator("wide", st.integers(1000, 50_000))
def _wide(store: Store, doc: dict[str, Any], value: Any) -> None:
    doc["tags"] = {f"t{i}": "x" for i in range(value)}


# Paths and names a record's schema admits, chosen to do harm if trusted:
# source the project imports, modules that shadow others, folders Python
# runs (`python -m repro` from the project), the project's own symlink out.
PLAUSIBLE_PATHS = [
    "lib",
    "lib/scale.py",
    "csv.py",
    "repro",
    "sitecustomize.py",
    "conftest.py",
    "flow.py",
    "data/extra",
    "data/new.csv",
    "shared/pwned-through-symlink",
    "shared",
    "outputs",
    "pyproject.toml",
]
PLAUSIBLE_ENTRIES = ["scale.py", "__init__.py", "__main__.py", "csv.py", "a.txt", "sub/x.py"]


def plausible_trees() -> st.SearchStrategy[TreeSpec]:
    entry = st.tuples(st.sampled_from(PLAUSIBLE_ENTRIES), st.sampled_from(PAYLOADS), st.booleans())
    return st.tuples(
        st.just("rows"),
        st.lists(entry, min_size=1, max_size=3, unique_by=lambda e: e[0]),
        st.binary(max_size=16),
    )


@mutator(
    "input",
    st.tuples(
        st.sampled_from(PLAUSIBLE_PATHS) | hostile_paths(),
        plausible_trees() | tree_specs(),
        st.sampled_from(["file", "folder"]),
        st.integers(0, 3),
    ),
)
def _input(store: Store, doc: dict[str, Any], value: Any) -> None:
    """One dataset of the record moved to another place, with a crafted tree."""
    path, spec, kind, index = value
    path = _fill(store, path)
    inputs = doc["inputs"]
    entry = dict(inputs.pop(_pick(inputs, index)))
    entry.update(uri=path, oid=craft_tree(store, spec), kind=kind)
    inputs[path] = entry


def mutations(max_size: int = 4) -> st.SearchStrategy[list[Mutation]]:
    """Any mutations of any field: most records are refused as they are read."""
    one = st.one_of([st.tuples(st.just(name), values) for name, (values, _) in MUTATORS.items()])
    return st.lists(one, min_size=1, max_size=max_size)


def plausible_mutations(max_size: int = 3) -> st.SearchStrategy[list[Mutation]]:
    """Mutations a record's schema admits (or nearly): what gets past the
    validation and reaches checkout, replay, report and the UI."""
    one = st.one_of(
        st.tuples(
            st.just("input"),
            st.tuples(
                st.sampled_from(PLAUSIBLE_PATHS),
                plausible_trees(),
                st.sampled_from(["file", "folder"]),
                st.integers(0, 3),
            ),
        ),
        st.tuples(st.just("stash-source"), st.integers(0, 3)),
        st.tuples(st.just("output-payload"), MUTATORS["output-payload"][0]),
        st.tuples(
            st.just("artifact"),
            st.tuples(
                st.sampled_from(PLAUSIBLE_ENTRIES),
                st.sampled_from(PAYLOADS),
                st.binary(max_size=16),
            ),
        ),
        st.tuples(
            st.just("diff"),
            st.sampled_from(["crafted", "crafted", "random", "rename-out", "symlink"]),
        ),
        st.tuples(st.just("git-commit"), MUTATORS["git-commit"][0]),
        st.tuples(st.just("tags"), st.tuples(hostile_names(), hostile_names())),
        st.tuples(st.just("metric"), st.tuples(hostile_names(), st.floats())),
        st.tuples(st.just("params"), st.tuples(hostile_names(), hostile_values())),
        st.tuples(st.just("dataset-param"), MUTATORS["dataset-param"][0]),
        st.tuples(st.just("backend"), MUTATORS["backend"][0]),
        st.tuples(st.just("environment"), st.tuples(st.just("image"), hostile_names())),
        st.tuples(
            st.just("step-field"),
            st.tuples(
                st.sampled_from(["command", "error", "reason", "image", "cached_from"]),
                hostile_names(),
                st.integers(0, 3),
            ),
        ),
        st.tuples(
            st.just("model"),
            st.tuples(
                hostile_names(), st.sampled_from(["fit", "load"]), st.just("output"), st.booleans()
            ),
        ),
    )
    return st.lists(one, min_size=1, max_size=max_size)


def any_mutations() -> st.SearchStrategy[list[Mutation]]:
    return st.one_of(plausible_mutations(), plausible_mutations(), mutations())


def craft_record(
    store: Store, mutated: list[Mutation], run_id: str | None = None
) -> dict[str, Any]:
    """The template's real record with a new id, mutated."""
    doc = json.loads(json.dumps(store.case.template.record))
    doc["id"] = run_id or new_run_id()
    for name, value in mutated:
        try:
            MUTATORS[name][1](store, doc, value)
        except _SHAPE_ERRORS:
            # An earlier mutation took away the shape this one edits.
            store.case.note(f"record mutation {name} left out: {_short(value)}")
            continue
        store.case.note(f"record mutation {name}: {_short(value)}")
    return doc


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + f"… ({len(text)} chars)"


def listing_name(run_id: Any) -> str:
    """The file name a run is listed under on the remote: its id when a
    file can be named so, else a fresh id (then the record's id differs)."""
    if (
        isinstance(run_id, str)
        and run_id not in ("", ".", "..")
        and "/" not in run_id
        and "\0" not in run_id
        and len(run_id.encode("utf-8", "surrogatepass")) <= 200
    ):
        try:
            os.fsencode(run_id)
            return run_id
        except UnicodeEncodeError:
            pass
    return new_run_id()


def publish(store: Store, doc: dict[str, Any], listing: str | bytes | None = None) -> str:
    """The record stored, and listed on the remote: the name it is listed
    under (what a victim would pass to `repro pull`)."""
    data = dumps(doc)
    oid = store.put(data)
    name = listing_name(doc.get("id"))
    content = listing if isinstance(listing, bytes) else f"{listing or oid}\n".encode()
    store.list_run(name, content)
    store.case.note(f"record {oid} listed as runs/{name!r}")
    return name


# -- YAML files (lock, models.yaml) and TOML (config) ------------------------------

RAW_YAML = [
    "bomb",
    "anchor",
    "deep",
    "python-tag",
    "binary-tag",
    "set-tag",
    "merge-key",
    "duplicate",
    "two-documents",
    "non-utf8",
    "nul",
    "bom",
    "long",
    "many-keys",
    "tabs",
    "directive",
    "random",
    "empty",
    "scalar",
    "symlink-zero",
    "symlink-random",
    "symlink-victim",
    "directory",
]


def raw_yaml(case: Case, kind: str, valid: str, noise: bytes) -> bytes | None:
    """Text an attacker commits in place of a YAML file (None: the attack
    is not a regular file and was made in place by :func:`plant`)."""
    if kind == "bomb":
        lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
        for level in range(1, 10):
            prev = f"*a{level - 1}"
            lines.append(f"a{level}: &a{level} [{', '.join([prev] * 9)}]")
        bomb = "\n".join("  " + line for line in lines)
        return f"{valid}\nbomb:\n{bomb}\n".encode()
    if kind == "anchor":
        return f"{valid}\nzz_anchor: &a [1, 2]\nzz_alias: *a\n".encode()
    if kind == "deep":
        return b"pipelines: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    if kind == "python-tag":
        return f"!!python/object/apply:os.system ['touch {case.victim}/pwned-yaml']\n".encode()
    if kind == "binary-tag":
        return valid.replace("schema:", "schema: !!binary aGVsbG8=\nx:", 1).encode()
    if kind == "set-tag":
        return b"schema: !!set {a, b}\n"
    if kind == "merge-key":
        return valid.encode() + b"\n<<: {pipelines: {}}\n"
    if kind == "duplicate":
        return valid.encode() + b"\nschema: repro.lock/v1\n"
    if kind == "two-documents":
        return b"---\n" + valid.encode() + b"\n---\n" + valid.encode()
    if kind == "non-utf8":
        return valid.encode().replace(b"schema", b"sch\xff\xfeema", 1)
    if kind == "nul":
        return valid.encode() + b"\n# \x00\n"
    if kind == "bom":
        return b"\xef\xbb\xbf" + valid.encode()
    if kind == "long":
        return valid.encode() + b"\nx: " + b"a" * (8 << 20) + b"\n"
    if kind == "many-keys":
        return valid.encode() + b"\nx:\n" + b"".join(b"  k%d: 1\n" % i for i in range(200_000))
    if kind == "tabs":
        return valid.replace("  ", "\t").encode()
    if kind == "directive":
        return b"%YAML 1.1\n%TAG ! tag:x,2000:\n---\n" + valid.encode()
    if kind == "random":
        return noise
    if kind == "empty":
        return b""
    if kind == "scalar":
        return b"just a string\n"
    return None


def plant(path: Path, kind: str, case: Case) -> None:
    """A file replaced by something that is not one (as Git can commit a
    symlink): a symlink to /dev/zero (endless), to /dev/urandom, to a file
    outside the project; or a folder."""
    if path.exists() or path.is_symlink():
        path.unlink()
    target = {
        "symlink-zero": "/dev/zero",
        "symlink-random": "/dev/urandom",
        "symlink-victim": str(case.victim / "keep.txt"),
    }.get(kind)
    if target is not None:
        os.symlink(target, path)
    else:
        path.mkdir()
        (path / "x").write_text("x")


def yaml_text(doc: Any, unicode: bool) -> bytes:
    try:
        return yaml.safe_dump(doc, allow_unicode=unicode, sort_keys=True, width=1000).encode(
            "utf-8", "surrogatepass"
        )
    except (yaml.YAMLError, UnicodeError, ValueError, OverflowError):
        return dumps(doc)  # JSON is YAML too


def lock_mutations() -> st.SearchStrategy[list[Mutation]]:
    fields = st.sampled_from(
        ["run", "record", "backend", "target", "commit", "dirty", "params", "defaults",
         "environment", "inputs", "code_files", "imports", "static", "steps", "models",
         "skipped"]
    )  # fmt: skip
    one = st.one_of(
        st.tuples(st.just("pipeline-name"), hostile_names()),
        st.tuples(st.just("pipeline-field"), st.tuples(fields, hostile_values())),
        st.tuples(st.just("run"), hostile_names()),
        st.tuples(
            st.just("commit"),
            st.sampled_from(["--output={VICTIM}/pwned-option", "-h", "HEAD~9", "0" * 40])
            | hostile_names(),
        ),
        st.tuples(st.just("step-name"), st.tuples(hostile_names(), st.integers(0, 3))),
        st.tuples(st.just("output-name"), st.tuples(hostile_paths(), st.integers(0, 3))),
        st.tuples(st.just("output-oid"), st.tuples(hostile_names(), st.integers(0, 3))),
        st.tuples(st.just("code-file"), hostile_paths()),
        st.tuples(st.just("import"), hostile_paths()),
        st.tuples(st.just("fingerprint-file"), st.tuples(hostile_paths(), st.integers(0, 3))),
        st.tuples(st.just("input-uri"), st.tuples(hostile_paths(), st.integers(0, 3))),
        st.tuples(st.just("input-tree"), st.tuples(tree_specs(), st.integers(0, 3))),
        st.tuples(st.just("model"), st.tuples(hostile_names(), hostile_names(), hostile_paths())),
        st.tuples(st.just("skipped"), st.tuples(hostile_names(), hostile_names())),
        st.tuples(
            st.just("conflict"), st.tuples(hostile_names(), hostile_names(), hostile_names())
        ),
        st.tuples(st.just("schema"), st.sampled_from(["repro.lock/v2", "repro.lock/", "x", ""])),
        st.tuples(st.just("crafted-record"), plausible_mutations()),
        st.tuples(st.just("params"), st.tuples(hostile_names(), hostile_values())),
    )
    return st.lists(one, min_size=1, max_size=4)


def mutate_lock(store: Store, doc: dict[str, Any], mutated: list[Mutation]) -> None:
    for name, value in mutated:
        try:
            _mutate_lock(store, doc, name, value)
        except _SHAPE_ERRORS:  # an earlier mutation took away the shape this one edits
            store.case.note(f"lock mutation {name} left out")


def _mutate_lock(store: Store, doc: dict[str, Any], name: str, value: Any) -> None:
    case = store.case
    case.note(f"lock mutation {name}: {_short(value)}")
    pipelines = doc.setdefault("pipelines", {}) or {"flow": {}}
    pipeline = pipelines[_pick(pipelines, 0)]
    if not isinstance(pipeline, dict):
        return
    steps = pipeline.get("steps") if isinstance(pipeline.get("steps"), dict) else {}
    value = value if name == "crafted-record" else _fill(store, value)
    if name == "pipeline-name":
        _rename(pipelines, _pick(pipelines, 0), value)
    elif name == "pipeline-field":
        pipeline[value[0]] = value[1]
    elif name == "run":
        pipeline["run"] = value
    elif name == "commit":
        pipeline["commit"] = value
    elif name == "step-name" and steps:
        _rename(steps, _pick(steps, value[1]), value[0])
    elif name in ("output-name", "output-oid") and steps:
        step = steps[_pick(steps, value[1])]
        outputs = step.get("outputs") or {"output": "0" * 32}
        if name == "output-name":
            _rename(outputs, _pick(outputs, 0), value[0])
        else:
            outputs[_pick(outputs, 0)] = value[0]
        step["outputs"] = outputs
    elif name == "code-file":
        pipeline.setdefault("code_files", {})[value] = "0" * 32
    elif name == "import":
        pipeline.setdefault("imports", {})[value] = None
    elif name == "fingerprint-file" and steps:
        step = steps[_pick(steps, value[1])]
        step.setdefault("fingerprints", {}).setdefault("discovered", {})[value[0]] = None
    elif name == "input-uri":
        inputs = pipeline.get("inputs") or {}
        if inputs:
            old = _pick(inputs, value[1])
            entry = dict(inputs.pop(old))
            entry["uri"] = value[0]
            inputs[value[0]] = entry
    elif name == "input-tree":
        inputs = pipeline.get("inputs") or {}
        if inputs:
            inputs[_pick(inputs, value[1])]["oid"] = craft_tree(store, value[0])
    elif name == "model":
        pipeline.setdefault("models", []).append(
            {"name": value[0], "step": value[1], "output": value[2], "version": "0" * 32}
        )
    elif name == "skipped":
        pipeline.setdefault("skipped", {})[value[0]] = value[1]
    elif name == "conflict":
        doc.setdefault("conflicts", {})[value[0]] = {"ours": value[1], "theirs": value[2]}
    elif name == "schema":
        doc["schema"] = value
    elif name == "crafted-record":
        # What the lock (a pull request) pins: a record on the remote, unlisted.
        record = craft_record(store, value)
        pipeline["run"] = record["id"] if isinstance(record.get("id"), str) else pipeline["run"]
        pipeline["record"] = store.put(dumps(record))
    elif name == "params":
        pipeline.setdefault("params", {})[value[0]] = value[1]


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if value is None:
        return '""'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_json(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    return _json(str(value))


def toml_text(doc: dict[str, Any]) -> bytes:
    lines = []
    for section, table in doc.items():
        if isinstance(table, dict) and all(isinstance(v, dict) for v in table.values()) and table:
            for name, sub in table.items():
                lines.append(f"[{_json(str(section))}.{_json(str(name))}]")
                lines.extend(f"{_json(str(k))} = {toml_value(v)}" for k, v in sub.items())
        elif isinstance(table, dict):
            lines.append(f"[{_json(str(section))}]")
            lines.extend(f"{_json(str(k))} = {toml_value(v)}" for k, v in table.items())
        else:
            lines.insert(0, f"{_json(str(section))} = {toml_value(table)}")
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


CONFIG_FIELDS = [
    ("core", "hash"),
    ("core", "remote"),
    ("cache", "dir"),
    ("cache", "type"),
    ("cache", "pack_threshold"),
    ("cache", "fsync"),
    ("materialize", "allow_pickle"),
    ("run", "undeclared"),
    ("remote", "origin"),
    ("remote.origin", "url"),
    ("remote.origin", "options"),
    ("x-unknown", "y"),
    ("core", "z-unknown"),
]


def config_mutations() -> st.SearchStrategy[list[Mutation]]:
    one = st.tuples(
        st.sampled_from(CONFIG_FIELDS),
        st.one_of(
            hostile_values(),
            st.sampled_from(
                [
                    "md5",
                    "sha256",
                    "blake3",
                    "xxh3-128",
                    "nope",
                    "../x",
                    "origin",
                    "reflink",
                    "symlink",
                ]
            ),
            st.lists(
                st.sampled_from(["reflink", "hardlink", "copy", "symlink", "", "x"]), max_size=4
            ),
        ),
    )
    return st.lists(one, min_size=1, max_size=3)


def mutate_config(case: Case, text: str, mutated: list[Mutation]) -> bytes:
    doc = tomllib.loads(text)
    for (section, key), value in mutated:
        value = case.fill(value)
        case.note(f"config {section}.{key} = {_short(value)}")
        table = doc
        for part in section.split("."):
            table = table.setdefault(part, {}) if isinstance(table.get(part, {}), dict) else {}
        table[key] = value
        if section == "cache" and key == "dir" and isinstance(value, str) and "\0" not in value:
            # The config's own choice of cache folder: writes there are its.
            place = Path(os.path.expanduser(value.replace("~", str(case.root / "home"), 1)))
            case.allowed.append(Path(os.path.normpath(case.project / place)))
    return toml_text(doc)


RAW_TOML = [
    "non-utf8",
    "random",
    "deep",
    "long",
    "duplicate",
    "nul",
    "bom",
    "empty",
    "symlink-zero",
    "symlink-random",
    "directory",
    "bad-syntax",
]


def raw_toml(kind: str, valid: str, noise: bytes) -> bytes | None:
    if kind == "non-utf8":
        return valid.encode().replace(b"core", b"co\xffre", 1)
    if kind == "random":
        return noise
    if kind == "deep":
        return b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n" + valid.encode()
    if kind == "long":
        return valid.encode() + b'\nx = "' + b"a" * (8 << 20) + b'"\n'
    if kind == "duplicate":
        return valid.encode() + b"\n[core]\nhash = 'md5'\n"
    if kind == "nul":
        return valid.encode() + b"\n# \x00\n"
    if kind == "bom":
        return b"\xef\xbb\xbf" + valid.encode()
    if kind == "empty":
        return b""
    if kind == "bad-syntax":
        return valid.encode() + b"\n[core\n"
    return None


def models_mutations() -> st.SearchStrategy[list[Mutation]]:
    one = st.one_of(
        st.tuples(st.just("model-name"), hostile_names()),
        st.tuples(st.just("alias"), hostile_names()),
        st.tuples(st.sampled_from(["version", "run", "promoted_at"]), hostile_values()),
        st.tuples(st.just("schema"), st.sampled_from(["repro.models/v2", "x", ""])),
        st.tuples(st.just("models"), hostile_values()),
    )
    return st.lists(one, min_size=1, max_size=3)


def mutate_models(case: Case, doc: dict[str, Any], mutated: list[Mutation]) -> None:
    for name, value in mutated:
        try:
            _mutate_models(case, doc, name, value)
        except _SHAPE_ERRORS:  # an earlier mutation took away the shape this one edits
            case.note(f"models.yaml mutation {name} left out")


def _mutate_models(case: Case, doc: dict[str, Any], name: str, value: Any) -> None:
    value = case.fill(value)
    case.note(f"models.yaml mutation {name}: {_short(value)}")
    models = doc.get("models") if isinstance(doc.get("models"), dict) else {}
    if not models:
        doc[name if name in ("schema", "models") else "models"] = value
        return
    model = _pick(models, 0)
    entry = models[model] if isinstance(models[model], dict) else {}
    aliases = entry.get("aliases") if isinstance(entry.get("aliases"), dict) else {}
    if name == "model-name":
        _rename(models, model, value)
    elif name == "alias" and aliases:
        _rename(aliases, _pick(aliases, 0), value)
    elif name in ("version", "run", "promoted_at") and aliases:
        promotion = aliases[_pick(aliases, 0)]
        if isinstance(promotion, dict):
            promotion[name] = value
    else:
        doc[name] = value


# -- the local run index ----------------------------------------------------------

FORMS = ["crafted", "crafted", "crafted", "random", "truncated", "deep", "wide", "not-object"]


def local_store(case: Case) -> Store:
    return Store(case, case.project / ".repro" / "cache" / "xxh3-128")


def plant_record(
    case: Case,
    form: str,
    mutated: list[Mutation],
    noise: bytes,
    cut: int,
    name: str,
    store: Store | None = None,
) -> str:
    """A record file in the index, never validated (its objects in the
    local cache); its run id (what a user would type)."""
    store = store or local_store(case)
    doc = craft_record(store, mutated) if form == "crafted" else dict(case.template.record)
    run = doc["id"] if form == "crafted" and isinstance(doc.get("id"), str) else new_run_id()
    if form != "crafted":
        doc["id"] = run
    data = {
        "crafted": lambda: dumps(doc),
        "random": lambda: noise,
        "truncated": lambda: dumps(doc)[: cut % max(1, len(dumps(doc)))],
        "deep": lambda: (
            b'{"id":"' + run.encode() + b'","x":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
        ),
        "wide": lambda: dumps({**doc, "tags": {f"t{i}": "x" for i in range(300_000)}}),
        "not-object": lambda: json.dumps([doc]).encode(),
    }[form]()
    file = (
        name if name else (run if isinstance(run, str) and "/" not in run and run else new_run_id())
    )
    path = case.project / ".repro" / "runs" / f"{file}.json"
    try:
        path.write_bytes(data)
    except (OSError, ValueError):
        file = new_run_id()
        (case.project / ".repro" / "runs" / f"{file}.json").write_bytes(data)
    case.note(f"local record .repro/runs/{file!r}.json: {form}, {len(data)} bytes")
    return run if isinstance(run, str) else file


def plant_journal(case: Case, kind: str, noise: bytes, step: str) -> None:
    """What a killed run leaves: a journal (and a spec) no process holds."""
    run = new_run_id()
    folder = case.project / ".repro" / "runs"
    lines = {
        "steps": json.dumps({"step": step}) + "\n" + json.dumps({"step": "load"}) + "\n",
        "random": noise.decode("latin-1"),
        "deep": "[" * 100_000 + "\n",
    }[kind]
    (folder / f"{run}.journal").write_text(lines, encoding="utf-8", errors="surrogatepass")
    spec = {"pipeline": step, "steps": {step: {"outputs": {step: step}}}}
    (folder / f"{run}.spec").write_bytes(dumps(spec) if kind != "random" else noise)
    case.note(f"killed run {run}: journal {kind}, step {step!r}")
