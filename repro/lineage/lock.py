"""``repro.lock``: per pipeline, the latest accepted run and every pin needed
to replay it without the local ``.repro/`` folder. YAML, sorted and stable,
so that diffs read well and merges rarely conflict."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
)

from repro.errors import ReproError
from repro.lineage.records import (
    EnvironmentRecord,
    Fingerprints,
    InputSnapshot,
    ModelVersion,
    StepKind,
)
from repro.safepaths import check_name, check_relative, check_text, check_uri
from repro.safeyaml import YamlRefusedError, load_yaml, yaml_loader

__all__ = [
    "LOCK_FILE",
    "LOCK_SCHEMA",
    "LockConflict",
    "LockFile",
    "LockInvalidError",
    "LockNewerSchemaError",
    "LockedPipeline",
    "LockedStep",
    "conflict_note",
    "dump_lock",
    "parse_lock",
    "read_lock",
]

LOCK_FILE = "repro.lock"
LOCK_SCHEMA: Final = "repro.lock/v1"
_HEADER = (
    "# repro.lock: written by `repro run`; commit it. Pins of the latest run of each pipeline.\n"
)


class LockInvalidError(ReproError, ValueError):
    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason} (fix the file, or delete it and run again)")


class LockNewerSchemaError(ReproError):
    def __init__(self, path: str, schema: str) -> None:
        self.path = path
        self.schema = schema
        super().__init__(
            f"{path} was written by a newer repro (schema {schema}; this one reads "
            f"{LOCK_SCHEMA}): upgrade repro"
        )


class _Locked(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Fields added later are left out at their defaults, so that a lock
        # written before they existed reads and writes back byte for byte.
        data: dict[str, Any] = handler(self)
        for name, default in _OMITTED_AT_DEFAULT.get(type(self).__name__, {}).items():
            if data.get(name, default) == default:
                data.pop(name, None)
        return data


_OMITTED_AT_DEFAULT: dict[str, dict[str, Any]] = {
    "LockedStep": {"image": None},
    "LockedPipeline": {"backend": "local", "skipped": {}, "imports": {}},
    "LockFile": {"conflicts": {}},
}


class LockedStep(_Locked):
    kind: StepKind = "python"
    cache: bool = True  # False: the step always executes, so a run is never a no-op
    cache_key: str
    fingerprints: Fingerprints
    outputs: dict[str, str]  # output name -> object id
    image: str | None = None  # pinned by digest, when it ran in a container

    @field_validator("outputs")
    @classmethod
    def _safe_outputs(cls, value: dict[str, str]) -> dict[str, str]:
        for output in value:
            check_relative(output, "output")
        return value


class LockedPipeline(_Locked):
    run: str
    record: str  # object id of the run record in the store
    backend: str = "local"  # a container backend pins each step's image
    target: str
    commit: str | None
    dirty: bool
    params: dict[str, Any]
    defaults: dict[str, Any]  # the pipeline's own defaults: params minus -p overrides
    environment: EnvironmentRecord
    inputs: dict[str, InputSnapshot]
    code_files: dict[str, str]
    # Files read while the pipeline was imported and built, beyond its code
    # (path -> content id; None: absent): the no-op check sees each.
    imports: dict[str, str | None] = Field(default_factory=dict)
    # False when a default or a value a step reads was computed at import
    # time: unchanged files then prove nothing, and no run is a quick no-op.
    static: bool = True
    steps: dict[str, LockedStep]
    models: list[ModelVersion] = Field(default_factory=list)
    # Steps whose condition (repro.when) was false: step -> why.
    skipped: dict[str, str] = Field(default_factory=dict)

    # The lock is committed by whoever can open a pull request: its names and
    # paths are checked as a record's are (repro.safepaths).
    @field_validator("steps", "skipped")
    @classmethod
    def _safe_steps(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            check_name(name, "step")
        return value

    @field_validator("code_files", "imports")
    @classmethod
    def _safe_files(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path in value:
            check_relative(path, "file", control=True)  # only ever read
        return value

    @field_validator("inputs")
    @classmethod
    def _safe_inputs(cls, value: dict[str, Any]) -> dict[str, Any]:
        for uri in value:
            check_uri(uri)
        return value


class LockConflict(_Locked):
    """A pipeline whose entry changed differently on both sides of a Git
    merge (``repro lock merge``): the lock keeps one side's entry until
    ``repro run`` of the pipeline writes a new one."""

    ours: str | None  # the run each side pinned; None: deleted on that side
    theirs: str | None


class LockFile(_Locked):
    schema_: Literal["repro.lock/v1"] = Field(default=LOCK_SCHEMA, alias="schema")
    conflicts: dict[str, LockConflict] = Field(default_factory=dict)
    pipelines: dict[str, LockedPipeline] = Field(default_factory=dict)

    @field_validator("pipelines", "conflicts")
    @classmethod
    def _safe_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            check_text(name, "pipeline")
        return value

    def with_pipeline(self, name: str, entry: LockedPipeline) -> LockFile:
        """A new entry for ``name`` resolves a merge conflict on it."""
        conflicts = {other: c for other, c in self.conflicts.items() if other != name}
        return LockFile(pipelines={**self.pipelines, name: entry}, conflicts=conflicts)


def conflict_note(lock: LockFile, name: str) -> str:
    """What a merge conflict on pipeline ``name`` means and how to end it."""
    conflict = lock.conflicts[name]
    entry = lock.pipelines.get(name)
    target = entry.target if entry is not None else name
    return (
        f"repro.lock: pipeline {name} changed on both sides of a merge (ours: run "
        f"{conflict.ours or 'deleted'}, theirs: run {conflict.theirs or 'deleted'}); "
        f"run `repro run {target}` to resolve"
    )


def read_lock(path: str) -> LockFile | None:
    """The lock at ``path``, or None when there is none yet."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return None
    return parse_lock(text, path)


def parse_lock(text: str, path: str = LOCK_FILE) -> LockFile:
    import yaml

    try:
        doc = load_yaml(text, path)
    except YamlRefusedError as exc:
        raise LockInvalidError(path, exc.line, exc.reason) from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise LockInvalidError(path, line, f"not valid YAML: {exc.problem}") from exc
    except yaml.reader.ReaderError as exc:  # a control character: refused before parsing
        line = _line_of_character(text, exc.character)
        raise LockInvalidError(path, line, f"not valid YAML: {exc.reason}") from exc
    if doc is None:
        return LockFile()
    if not isinstance(doc, dict):
        raise LockInvalidError(path, 1, "expected a mapping with 'schema' and 'pipelines'")
    schema = doc.get("schema")
    if isinstance(schema, str) and schema.startswith("repro.lock/") and schema != LOCK_SCHEMA:
        raise LockNewerSchemaError(path, schema)
    try:
        return LockFile.model_validate(doc)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error["loc"])
        line = _line_of(text, error["loc"])
        raise LockInvalidError(path, line, f"{location}: {error['msg']}") from exc


def _line_of_character(text: str, character: object) -> int | None:
    # libyaml reports a byte offset, not a character one; the character is exact.
    index = text.find(chr(character)) if isinstance(character, int) else -1
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest YAML node on the error's path."""
    import yaml

    node = yaml.compose(text, Loader=yaml_loader())
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _child(node: Any, part: Any) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def dump_lock(lock: LockFile) -> str:
    import yaml

    doc = lock.model_dump(mode="json", by_alias=True)
    body = yaml.dump(
        doc,
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=1000,
    )
    notes = "".join(f"# CONFLICT {conflict_note(lock, name)}\n" for name in sorted(lock.conflicts))
    return _HEADER + notes + body
