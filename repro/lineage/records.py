"""The run record (``repro.run/v1``): everything needed to replay a run and
to prove the replay, as pydantic models (schema export, strict parsing)."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from repro.safepaths import check_name, check_relative, check_text, check_uri

__all__ = [
    "RUN_SCHEMA",
    "ArtifactRecord",
    "EnvironmentRecord",
    "Fingerprints",
    "GitRecord",
    "InputSnapshot",
    "ModelVersion",
    "RunRecord",
    "RunStatus",
    "StepKind",
    "StepRecord",
    "StepStatus",
    "Verification",
]

RUN_SCHEMA: Final = "repro.run/v1"

StepStatus = Literal["executed", "cached", "failed", "skipped"]
StepKind = Literal["python", "shell"]
RunStatus = Literal["running", "succeeded", "failed", "interrupted"]


def _without_empty_imports(data: dict[str, Any]) -> dict[str, Any]:
    # Left out when empty, so that records and locks written before the
    # fields existed serialize to the same bytes (and record ids).
    for name in ("imports", "discovered"):
        if not data.get(name):
            data.pop(name, None)
    return data


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# Every name and path a record holds is checked as it is read (repro.safepaths):
# a record fetched from a shared remote is written by whoever can write there.
def _paths(value: dict[str, Any], what: str, *, control: bool = False) -> dict[str, Any]:
    for path in value:
        check_relative(path, what, control=control)
    return value


def _names(value: dict[str, Any], what: str) -> dict[str, Any]:
    for name in value:
        check_name(name, what)
    return value


class ArtifactRecord(_Record):
    oid: str
    kind: Literal["blob", "tree"]
    materializer: str
    version: str
    type: str
    size: int


class GitRecord(_Record):
    commit: str | None
    branch: str | None
    dirty: bool
    diff: str | None = None  # object id of the uncommitted diff of a dirty tree


class EnvironmentRecord(_Record):
    python: str
    python_full: str
    platform: str
    lockfile: str | None
    lockfile_oid: str | None
    distributions: dict[str, str]
    image: str | None = None
    oid: str


class InputSnapshot(_Record):
    uri: str
    oid: str
    files: int
    bytes: int
    kind: Literal["file", "folder"] = "folder"  # a file's tree holds it under its name
    # "reference": ``oid`` names a manifest of the objects' sizes, ETags and
    # versions (a blob), not a tree of their content.
    mode: Literal["copy", "reference"] = "copy"

    @field_validator("uri")
    @classmethod
    def _safe_uri(cls, uri: str) -> str:
        return check_uri(uri)

    @model_serializer(mode="wrap")
    def _omit_copy_mode(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The default is left out, so that records and locks written before
        # the field existed serialize to the same bytes (and record ids).
        data: dict[str, Any] = handler(self)
        if data.get("mode") == "copy":
            del data["mode"]
        return data


class Fingerprints(_Record):
    """The components of a step's cache key, kept apart so that a miss can be
    explained."""

    code: str
    environment: str
    inputs: dict[str, str]  # argument -> object id (or tree id of a dataset)
    params: dict[str, Any]
    # Files the modules the step's code reaches read while being imported
    # (path -> content id, None for a file that was absent): see
    # repro.reads.
    imports: dict[str, str | None] = Field(default_factory=dict)
    # Files the step opened while it ran that nothing declared (path ->
    # content id, None: looked for, absent): checked before its result is
    # reused, as make's dependency files are.
    discovered: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("imports", "discovered")
    @classmethod
    def _safe_paths(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Files of the project a step read: only ever looked at, never
        # written, so any name its file system allows (printed escaped).
        return _paths(value, "file", control=True)

    @model_serializer(mode="wrap")
    def _omit_no_imports(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty_imports(handler(self))


_OPTIONAL_STEP_FIELDS = ("log", "logged_params", "tags", "artifacts")


class StepRecord(_Record):
    position: int  # in definition order: canonical JSON sorts the steps by name
    kind: StepKind
    cache: bool = True
    status: StepStatus
    cache_key: str | None
    fingerprints: Fingerprints | None
    code_files: dict[str, str] = Field(default_factory=dict)
    upstream: list[str] = Field(default_factory=list)
    outputs: dict[str, ArtifactRecord] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    started: str | None = None
    duration: float | None = None
    error: str | None = None
    reason: str | None = None  # why it executed, or why it was skipped
    cached_from: str | None = None  # the run that executed it, for a cached step
    command: str | None = None
    image: str | None = None
    log: str | None = None  # object id of what a container step printed
    # What the step logged (log_params, log_tags, log_artifact) and its
    # declared tags: they describe the run, none is in the cache key.
    logged_params: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    artifacts: dict[str, ArtifactRecord] = Field(default_factory=dict)

    @field_validator("outputs", "artifacts", "code_files")
    @classmethod
    def _safe_outputs(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _paths(value, "output")

    @field_validator("upstream")
    @classmethod
    def _safe_upstream(cls, value: list[str]) -> list[str]:
        return [check_name(name, "step") for name in value]

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Left out when absent, so that records written before the fields
        # existed serialize to the same bytes (and record ids).
        data: dict[str, Any] = handler(self)
        for key in _OPTIONAL_STEP_FIELDS:
            if not data.get(key):
                data.pop(key, None)
        return data


class ModelVersion(_Record):
    name: str
    version: str  # the object id of the model output
    step: str
    output: str

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        return check_text(name, "model")

    @field_validator("step")
    @classmethod
    def _safe_step(cls, step: str) -> str:
        return check_name(step, "step")

    @field_validator("output")
    @classmethod
    def _safe_output(cls, output: str) -> str:
        return check_relative(output, "output")


class Verification(_Record):
    verdict: Literal["identical", "different"]
    steps: dict[str, Literal["identical", "different", "failed", "missing"]]
    first_divergence: str | None = None
    explanation: str | None = None


class RunRecord(_Record):
    schema_: Literal["repro.run/v1"] = Field(default=RUN_SCHEMA, alias="schema")
    id: str
    pipeline: str
    target: str
    backend: str
    status: RunStatus
    created: str
    finished: str | None = None
    git: GitRecord
    environment: EnvironmentRecord
    params: dict[str, Any]
    # Parameters whose recorded value is not the real one (a secret masked,
    # a URL without its password): a replay must be given them again.
    masked_params: list[str] = Field(default_factory=list)
    inputs: dict[str, InputSnapshot]
    # Every file the pipeline's modules read while being imported and its
    # DAG built (path -> content id; None: absent), beyond its code.
    imports: dict[str, str | None] = Field(default_factory=dict)
    steps: dict[str, StepRecord]
    tags: dict[str, str] = Field(default_factory=dict)
    models: list[ModelVersion] = Field(default_factory=list)
    replay_of: str | None = None
    verification: Verification | None = None

    @field_validator("id")
    @classmethod
    def _safe_id(cls, run_id: str) -> str:
        return check_name(run_id, "run id")

    @field_validator("steps")
    @classmethod
    def _safe_steps(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _names(value, "step")

    @field_validator("imports")
    @classmethod
    def _safe_imports(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _paths(value, "file", control=True)

    @field_validator("inputs")
    @classmethod
    def _safe_inputs(cls, value: dict[str, Any]) -> dict[str, Any]:
        for uri in value:
            check_uri(uri)
        return value

    @model_serializer(mode="wrap")
    def _omit_no_imports(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty_imports(handler(self))

    def ordered_steps(self) -> list[tuple[str, StepRecord]]:
        return sorted(self.steps.items(), key=lambda item: item[1].position)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
