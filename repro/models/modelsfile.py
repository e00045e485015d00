"""``models.yaml``: the aliases of each model (``production`` -> a version),
committed at the project root.

Promotion is a change to this file rather than an annotated tag, because a
file change is reviewed in a pull request like any other change, merges
(two promotions of different models touch different lines), can be owned
through CODEOWNERS, and travels with the branch it belongs to; its
``git log -p`` is the history of who promoted what, when, from which run.
The file is sorted and stable, so a promotion is a three-line diff.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from repro.models.errors import ModelsFileInvalidError, ModelsFileNewerSchemaError
from repro.safeyaml import read_limited

__all__ = [
    "ALIAS_PATTERN",
    "MODELS_FILE",
    "MODELS_SCHEMA",
    "ModelAliases",
    "ModelsFile",
    "Promotion",
    "dump_models_file",
    "parse_models_file",
    "read_models_file",
    "utc_now",
]

MODELS_FILE: Final = "models.yaml"
MODELS_SCHEMA: Final = "repro.models/v1"
ALIAS_PATTERN: Final = r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"

_HEADER = (
    "# Model aliases, set by `repro models promote` and reviewed like code:\n"
    "# `git log -p models.yaml` tells who promoted which version, when.\n"
)

AliasName = Annotated[str, StringConstraints(pattern=ALIAS_PATTERN)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Promotion(_Entry):
    version: str = Field(pattern=r"^[0-9a-f]{16,128}$")
    run: str = Field(pattern=r"^[0-9a-hjkmnp-tv-z]{14}$")
    promoted_at: str = Field(min_length=1)

    @field_validator("promoted_at", mode="before")
    @classmethod
    def _timestamp_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted timestamp (a hand edit) as a datetime.
        return _utc_text(value) if isinstance(value, datetime) else value


class ModelAliases(_Entry):
    aliases: dict[AliasName, Promotion] = Field(default_factory=dict)


class ModelsFile(_Entry):
    schema_: Literal["repro.models/v1"] = Field(default=MODELS_SCHEMA, alias="schema")
    models: dict[str, ModelAliases] = Field(default_factory=dict)

    def aliases(self, name: str) -> dict[str, Promotion]:
        entry = self.models.get(name)
        return dict(entry.aliases) if entry is not None else {}

    def with_alias(self, name: str, alias: str, promotion: Promotion) -> ModelsFile:
        aliases = {**self.aliases(name), alias: promotion}
        models = {**self.models, name: ModelAliases(aliases=aliases)}
        return ModelsFile(models=models)


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> str:
    return _utc_text(datetime.now(UTC))


def read_models_file(path: str) -> ModelsFile:
    """The file at ``path``; none yet is an empty one."""
    try:
        data = read_limited(path)
    except FileNotFoundError:
        return ModelsFile()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelsFileInvalidError(path, f"not UTF-8 text (byte {exc.start})") from exc
    return parse_models_file(text, path)


def parse_models_file(text: str, path: str) -> ModelsFile:
    doc = _load_yaml(text, path)
    if doc is None:
        return ModelsFile()
    if not isinstance(doc, dict):
        raise ModelsFileInvalidError(path, "expected a mapping with 'schema' and 'models'")
    schema = doc.get("schema")
    if isinstance(schema, str) and schema.startswith("repro.models/") and schema != MODELS_SCHEMA:
        raise ModelsFileNewerSchemaError(path, schema)
    return _validated(doc, path)


def _load_yaml(text: str, path: str) -> Any:
    import yaml

    from repro.safeyaml import YamlRefusedError, load_yaml

    try:
        return load_yaml(text, path)
    except YamlRefusedError as exc:
        raise ModelsFileInvalidError(path, exc.reason) from exc
    except yaml.MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        raise ModelsFileInvalidError(path, f"{where}not valid YAML ({exc.problem})") from exc
    except yaml.YAMLError as exc:  # a control character, refused before parsing
        raise ModelsFileInvalidError(path, f"not valid YAML ({exc})") from exc


def _validated(doc: dict[str, Any], path: str) -> ModelsFile:
    try:
        return ModelsFile.model_validate(doc)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error["loc"]) or "(file)"
        raise ModelsFileInvalidError(path, f"{location}: {error['msg']}") from exc


def dump_models_file(models: ModelsFile) -> str:
    """The file's text: the schema first, then the models, every key sorted."""
    doc = models.model_dump(mode="json", by_alias=True)
    return _HEADER + _yaml({"schema": doc["schema"]}) + _yaml({"models": doc["models"]})


def _yaml(doc: dict[str, Any]) -> str:
    import yaml

    text: str = yaml.dump(
        doc,
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=1000,
    )
    return text
