"""Cache keys of steps and the explanation of every miss: the key is the
hash of the step's code, environment, inputs and parameters, kept apart in
the record so that a change can be named."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from repro.hashing import canonical_dumps, get_algorithm
from repro.lineage.lock import LockedPipeline, LockedStep
from repro.lineage.records import EnvironmentRecord, Fingerprints
from repro.lineage.redact import REDACTED, redact_params
from repro.pipelines.graph import Literal, Node
from repro.reads import file_id
from repro.runner.fastpath import IN_IMAGE, PACKAGE, file_digest

if TYPE_CHECKING:
    from repro.reads import Reads
    from repro.snapshot import StatCache

__all__ = [
    "KeyMaterial",
    "StepCode",
    "StepKey",
    "code_of",
    "discovered_reason",
    "environment_record",
    "explain",
    "finish_key",
    "import_digests",
    "key_material",
    "package_versions",
    "pipeline_files",
    "pipeline_import_changes",
    "step_key",
    "with_discovered",
    "with_import_reads",
]

KEY_VERSION = 1


@dataclass(frozen=True)
class StepKey:
    cache_key: str
    fingerprints: Fingerprints
    code_files: dict[str, str]
    modules: tuple[str, ...]
    environment: EnvironmentRecord


def _digest(algorithm: str, doc: Any) -> str:
    hasher = get_algorithm(algorithm).new()
    hasher.update(canonical_dumps(doc))
    return str(hasher.hexdigest())


def environment_record(
    root: str, modules: tuple[str, ...], algorithm: str, image: str | None = None
) -> EnvironmentRecord:
    """This interpreter's environment, or, for a step that runs in a
    container, its image: the digest pins the interpreter, the packages and
    the platform, so the host's are not the step's (and a lock made in
    Docker is judged the same on any host)."""
    if image is not None:
        return _image_environment(image, algorithm)
    return _environment(root, modules, algorithm)


@lru_cache(maxsize=256)
def _environment(root: str, modules: tuple[str, ...], algorithm: str) -> EnvironmentRecord:
    from repro.pipelines.environment import environment

    fields = environment(root, modules, algorithm=algorithm).to_dict()
    fields.pop("algorithm")  # the record's ids carry it already
    return EnvironmentRecord.model_validate(fields)


@lru_cache(maxsize=64)
def _image_environment(image: str, algorithm: str) -> EnvironmentRecord:
    from repro.pipelines.environment import Environment

    fields = Environment(
        python=IN_IMAGE,
        python_full=IN_IMAGE,
        platform=IN_IMAGE,
        lockfile=None,
        lockfile_oid=None,
        distributions={},
        image=image,
        algorithm=algorithm,
    ).to_dict()
    fields.pop("algorithm")
    return EnvironmentRecord.model_validate(fields)


@dataclass(frozen=True)
class StepCode:
    oid: str
    files: dict[str, str]  # project files read, with their digests
    modules: tuple[str, ...]  # third-party top-level modules reached
    volatile: bool = False  # import-time values went in: unchanged files prove nothing
    # Files the modules this code reaches read while being imported, beyond
    # code (path -> content id; None: absent): see with_import_reads.
    reads: Mapping[str, str | None] = dataclasses.field(default_factory=dict)


def import_digests(
    root: str,
    reads: Reads,
    code_files: Mapping[str, str],
    algorithm: str,
    stat_cache: StatCache | None = None,
) -> dict[str, str | None]:
    """The object id of each file ``reads`` saw read (None: it was absent
    or unreadable), but the project's code, fingerprinted as code. Object
    ids, as for data: the no-op check of a large file read at import time
    is then a stat."""
    digests: dict[str, str | None] = {}
    for path in sorted(reads.read):
        absolute = os.path.join(root, path)
        if path in code_files or os.path.isdir(absolute):
            continue
        digests[path] = file_id(absolute, algorithm, stat_cache)
    return digests


def pipeline_files(root: str, algorithm: str) -> dict[str, str]:
    """Every project file imported with the pipeline definition (its
    defaults may come from a config module): a no-op needs each unchanged."""
    from repro.usercode import project_module_files

    files: dict[str, str] = {}
    for path in project_module_files(root):
        digest = file_digest(os.path.join(root, path), algorithm)
        if digest is not None:
            files[path] = digest
    return files


def with_import_reads(
    code: StepCode, kind: str, reads: Reads, digests: Mapping[str, str | None]
) -> StepCode:
    """A Python step's code with what the modules it reaches read while
    being imported, and what no project code was on the stack for: a value
    built from such a file (``CONFIG = json.load(open("c.json"))``) may
    reach the step in a form no fingerprint can hash. A shell step's
    command and params are in its key already, and they are all an
    import-time value can change of it."""
    if kind != "python" or not digests:
        return code
    reached: set[str | None] = {*code.files, None}
    mine = {path: oid for path, oid in digests.items() if reads.read.get(path, set()) & reached}
    return dataclasses.replace(code, reads=mine) if mine else code


def code_of(node: Node, root: str, algorithm: str) -> StepCode:
    if node.kind == "shell":
        # The template, not the filled-in command: a parameter change is
        # reported as such, not as a code change.
        return StepCode(_digest(algorithm, {"shell": node.template or node.command}), {}, ())
    from repro.pipelines.fingerprint import code_fingerprint

    assert node.func is not None
    found = code_fingerprint(node.func, root, algorithm=algorithm)
    return StepCode(found.oid, dict(found.files), tuple(found.modules), found.volatile)


@dataclass(frozen=True)
class KeyMaterial:
    """Everything a step's cache key covers but its inputs: what a backend
    that runs the whole DAG elsewhere (argo) keeps until the upstream
    outputs, and so the key, are known."""

    kind: str
    code: StepCode
    modules: tuple[str, ...]
    environment: EnvironmentRecord
    params: dict[str, Any]
    outputs: tuple[str, ...]
    mode: str
    image: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": {
                "oid": self.code.oid,
                "files": self.code.files,
                "modules": list(self.code.modules),
                "volatile": self.code.volatile,
                "reads": dict(self.code.reads),
            },
            "modules": list(self.modules),
            "environment": self.environment.model_dump(mode="json"),
            "params": self.params,
            "outputs": list(self.outputs),
            "mode": self.mode,
            "image": self.image,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> KeyMaterial:
        code = doc["code"]
        return cls(
            kind=doc["kind"],
            code=StepCode(
                code["oid"],
                dict(code["files"]),
                tuple(code["modules"]),
                code["volatile"],
                dict(code.get("reads", {})),
            ),
            modules=tuple(doc["modules"]),
            environment=EnvironmentRecord.model_validate(doc["environment"]),
            params=dict(doc["params"]),
            outputs=tuple(doc["outputs"]),
            mode=doc["mode"],
            image=doc["image"],
        )


def key_material(
    node: Node, root: str, algorithm: str, code: StepCode | None = None
) -> KeyMaterial:
    """``code`` is the step's code as fingerprinted when the run started."""
    step_code = code or code_of(node, root, algorithm)
    modules = step_code.modules
    if node.kind == "python":
        from repro.materialize import BACKEND_MODULES

        modules = tuple(sorted({*modules, *BACKEND_MODULES}))
    return KeyMaterial(
        kind=node.kind,
        code=step_code,
        modules=modules,
        environment=environment_record(root, modules, algorithm, node.image),
        params={k: a.value for k, a in node.args.items() if isinstance(a, Literal)},
        outputs=tuple(node.outputs),
        mode=node.output_mode,
        image=node.image,
    )


def finish_key(material: KeyMaterial, inputs: Mapping[str, str], algorithm: str) -> StepKey:
    """The key of a step given ``inputs``: each output or dataset argument's
    object id."""
    env = material.environment
    # The key covers the real values; the record keeps them masked.
    prints = Fingerprints(
        code=material.code.oid,
        environment=env.oid,
        inputs=dict(inputs),
        params=redact_params(material.params),
        imports=dict(sorted(material.code.reads.items())),
    )
    doc = {
        "v": KEY_VERSION,
        "kind": material.kind,
        "code": material.code.oid,
        "environment": env.oid,
        "inputs": dict(inputs),
        "params": material.params,
        "outputs": list(material.outputs),
        "mode": material.mode,
        "image": material.image,
    }
    if material.code.reads:
        # Only where there are any: the keys of steps without stay as they were.
        doc["imports"] = dict(material.code.reads)
    key = _digest(algorithm, doc)
    return StepKey(key, prints, material.code.files, material.modules, env)


def step_key(
    node: Node, inputs: Mapping[str, str], root: str, algorithm: str, code: StepCode | None = None
) -> StepKey:
    """``inputs`` maps each output or dataset argument to its object id;
    ``code`` is the step's code as fingerprinted when the run started."""
    return finish_key(key_material(node, root, algorithm, code), inputs, algorithm)


def with_discovered(key: StepKey, discovered: Mapping[str, str | None]) -> StepKey:
    """``key`` with the inputs the step was seen to open as it ran: they are
    not in the key (it is known before the step runs), they are checked
    before its result is reused."""
    if not discovered and not key.fingerprints.discovered:
        return key
    prints = key.fingerprints.model_copy(update={"discovered": dict(sorted(discovered.items()))})
    return dataclasses.replace(key, fingerprints=prints)


def package_versions(modules: list[str]) -> dict[str, str | None]:
    """``"(package) numpy"`` -> version, for the distributions providing
    the top-level ``modules`` a shell step's programs opened."""
    if not modules:
        return {}
    from repro.pipelines.environment import distributions_for

    return {f"{PACKAGE}{name}": version for name, version in distributions_for(modules).items()}


def discovered_reason(path: str, now: str | None, then: str | None = "") -> str:
    """One discovered input that differs from what a result recorded."""
    if path.startswith(PACKAGE):
        name = path[len(PACKAGE) :]
        return f"package {name} {then or 'absent'} -> {now or 'absent'} (used by the step)"
    change = "was removed" if now is None else "was added" if then is None else "changed"
    return f"input {path} {change} (read by the step, not declared)"


def explain(
    name: str,
    node: Node,
    key: StepKey,
    locked: LockedPipeline | None,
    sources: Mapping[str, str],
    imports: Mapping[str, str | None] | None = None,
) -> list[str]:
    """Why ``key`` differs from the lock's entry for the step, one reason per
    changed component. ``sources`` names where each input comes from;
    ``imports`` are the pipeline's import-time reads now: where they changed,
    a changed param or command may come from them, and that is said too."""
    entry = locked.steps.get(name) if locked else None
    if locked is None or entry is None:
        return ["new step: not in repro.lock"]
    if entry.cache_key == key.cache_key:
        return []
    reasons = _code_reasons(key, locked, entry)
    reasons += _import_reasons(key.fingerprints, entry)
    reasons += _environment_reasons(key.environment, locked.environment, entry)
    reasons += _input_reasons(key.fingerprints, entry, sources)
    param_reasons = _param_reasons(key.fingerprints, entry)
    reasons += param_reasons
    if param_reasons or (reasons and node.kind == "shell"):
        named = {reason.split()[2] for reason in reasons if reason.startswith("import-time input")}
        reasons += [
            r for r in pipeline_import_changes(imports, locked) if r.split()[2] not in named
        ]
    if entry.image != node.image:
        reasons.append(f"image {entry.image or '(none: local)'} -> {node.image or '(none: local)'}")
    if not reasons and REDACTED in key.fingerprints.params.values():
        return ["a masked (secret) parameter changed"]
    return reasons or ["the step's definition changed (outputs or image)"]


def _code_reasons(key: StepKey, locked: LockedPipeline, entry: LockedStep) -> list[str]:
    if key.fingerprints.code == entry.fingerprints.code:
        return []
    changed = sorted(p for p, oid in key.code_files.items() if locked.code_files.get(p) != oid)
    return [f"code changed ({', '.join(changed)})" if changed else "code changed"]


def pipeline_import_changes(
    imports: Mapping[str, str | None] | None, locked: LockedPipeline | None
) -> list[str]:
    """Each import-time read of the pipeline that differs from the lock's."""
    if imports is None or locked is None:
        return []
    return _read_changes(locked.imports, imports)


def _import_reasons(now: Fingerprints, entry: LockedStep) -> list[str]:
    return _read_changes(entry.fingerprints.imports, now.imports)


def _read_changes(then: Mapping[str, str | None], now: Mapping[str, str | None]) -> list[str]:
    changes = [
        (path, then.get(path, MISSING), now.get(path, MISSING))
        for path in sorted(set(now) | set(then))
    ]
    return [
        f"import-time input {path} {_import_change(before, after)}"
        for path, before, after in changes
        if before != after
    ]


MISSING = "(not read)"


def _import_change(then: str | None, now: str | None) -> str:
    if then == MISSING:
        return "is new"
    if now is None:
        return "was removed"
    if then is None:
        return "was added"
    return "is no longer read" if now == MISSING else "changed"


def _environment_reasons(
    now: EnvironmentRecord, then: EnvironmentRecord, entry: LockedStep
) -> list[str]:
    if now.oid == entry.fingerprints.environment:
        return []
    diffs = [
        f"{k} {then.distributions.get(k, 'absent')} -> {v}"
        for k, v in sorted(now.distributions.items())
        if then.distributions.get(k) != v
    ]
    for field in ("python", "platform", "lockfile", "lockfile_oid", "image"):
        if getattr(now, field) != getattr(then, field):
            diffs.append(f"{field} {getattr(then, field)} -> {getattr(now, field)}")
    return [
        f"environment changed ({'; '.join(diffs or _uninstalled(then)) or 'its distributions'})"
    ]


def _uninstalled(then: EnvironmentRecord) -> list[str]:
    """The locked run's distributions that are not installed now. The lock
    keeps one list for the whole run, not each step's: when nothing else
    differs, a distribution the step imported has gone."""
    from repro.pipelines.environment import current_versions

    found = current_versions(then.distributions)
    return [
        f"{name} {then.distributions[name]} -> absent" for name in sorted(found) if not found[name]
    ]


def _input_reasons(now: Fingerprints, entry: LockedStep, sources: Mapping[str, str]) -> list[str]:
    then = entry.fingerprints.inputs
    return [
        f"input {arg!r} changed ({sources.get(arg, arg)})"
        for arg in sorted(set(now.inputs) | set(then))
        if now.inputs.get(arg) != then.get(arg)
    ]


def _param_reasons(now: Fingerprints, entry: LockedStep) -> list[str]:
    then = entry.fingerprints.params
    return [
        f"param {k}: {then.get(k, '(none)')!r} -> {now.params.get(k, '(none)')!r}"
        for k in sorted(set(now.params) | set(then))
        if now.params.get(k) != then.get(k)
    ]
